import { createHash, timingSafeEqual } from "node:crypto";

/** Checks a presented bearer token in constant time; with no token configured, nothing matches. */
export type TokenCheck = (presented: string | null | undefined) => boolean;

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function createTokenCheck(token: string | null): TokenCheck {
  // Comparing fixed-length digests keeps the time independent of where, or whether, lengths differ.
  const expected = token === null ? null : digest(token);
  return (presented) => expected !== null && typeof presented === "string" && timingSafeEqual(digest(presented), expected);
}

/** The token of an `Authorization: Bearer <token>` header (or a graphql-ws connection_init value). */
export function bearerToken(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  return match ? match[1]! : null;
}
