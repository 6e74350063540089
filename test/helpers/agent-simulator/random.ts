import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** A seeded stream (pure-rand's xoroshiro128+): the same seed gives the same hosts, inventories and churn. */
export interface Rng {
  int(min: number, max: number): number;
  /** In [0, 1). */
  float(): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Fisher–Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[];
  hex(length: number): string;
  /** Upper-case alphanumerics. */
  alnum(length: number): string;
  uuid(): string;
}

// A class rather than closures: a fleet creates an Rng per host and per churn step, and tsx wraps every
// named closure in a helper that costs more than the generator itself.
class SeededRng implements Rng {
  private readonly generator: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed);
  }
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }
  float(): number {
    return uniformInt(this.generator, 0, 0x3fffffff) / 0x40000000;
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
  hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += this.int(0, 15).toString(16);
    return out;
  }
  alnum(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += ALNUM[this.int(0, 35)];
    return out;
  }
  uuid(): string {
    return formatUuid(this.hex(32), this.int(0, 3));
  }
}

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A random (version 4) UUID from 32 hex digits. */
function formatUuid(hex: string, variant: number): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[variant]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function createRng(...seed: number[]): Rng {
  return new SeededRng(mix(...seed));
}

/** A UUID that is a pure function of the integers given (no generator needed). */
export function hashUuid(...values: number[]): string {
  const a = mix(...values, 1);
  const hex = [a, mix(...values, 2), mix(...values, 3), mix(...values, 4)].map((n) => n.toString(16).padStart(8, "0")).join("");
  return formatUuid(hex, a & 3);
}

/**
 * A 32-bit hash of a few integers (murmur3's finaliser over each), for attributes that must be the same
 * whenever they are asked for (an app's size at a version, a host's last-opened time) without storing them.
 */
export function mix(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    let k = Math.imul(value | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable integer for a string (seeds per host name, per query). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
