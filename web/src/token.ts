/** The part of the Web Storage API the token needs (sessionStorage in the browser). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const KEY = "osquery-inventory.api-token";

/**
 * The API token for AUTH_READS, asked for once and kept for the browser tab's session only
 * (sessionStorage): never in the URL, never in localStorage.
 */
export function createTokenStore(storage: TokenStorage | null) {
  return {
    get(): string | null {
      try {
        return storage?.getItem(KEY) || null;
      } catch {
        return null;
      }
    },
    set(token: string): string | null {
      const trimmed = token.trim().replace(/^Bearer\s+/i, "");
      if (!/^\S+$/.test(trimmed)) return null;
      try {
        storage?.setItem(KEY, trimmed);
      } catch {
        // Storage refused (private mode): the token lives in memory for this page only.
      }
      return trimmed;
    },
    clear() {
      try {
        storage?.removeItem(KEY);
      } catch {
        // nothing stored
      }
    },
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
