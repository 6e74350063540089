import { createHash, hash, randomBytes, timingSafeEqual } from "node:crypto";

/** 32 random bytes, base64url: 43 characters an agent stores and sends back with every request. */
export function createNodeKey(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether a presented key has the shape of one createNodeKey made: any other is no key of ours, and costs no lookup. */
export function isNodeKeyShape(key: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(key);
}

/** Only this is stored: a database dump hands out no working keys. */
export function hashNodeKey(key: string): Buffer {
  return hash("sha256", key, "buffer");
}

/**
 * The same hash as base64 text, the key of the in-memory cache of hosts. Every check-in computes it;
 * the one-shot hash costs a fifth of a Hash object's update and digest.
 */
export function nodeKeyDigest(key: string): string {
  return hash("sha256", key, "base64");
}

/**
 * The node key of a request: osquery ≥ 5.23 sends it in `Authorization: NodeKey <key>` as well as in
 * the body. When both are present they must agree; a request naming two keys is not trusted with either.
 */
export function presentedNodeKey(header: string | undefined, bodyKey: unknown): string | null {
  const fromHeader = header === undefined ? undefined : /^NodeKey\s+(\S{1,256})\s*$/i.exec(header.trim())?.[1];
  if (header !== undefined && fromHeader === undefined) return null;
  const fromBody = typeof bodyKey === "string" && bodyKey.length > 0 && bodyKey.length <= 256 ? bodyKey : undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) return null;
  return fromHeader ?? fromBody ?? null;
}

/**
 * Checks an enroll secret against every valid one (several during a rotation), in time that depends
 * neither on which one matches nor on where a wrong one differs.
 */
export function createSecretCheck(secrets: readonly string[]): (presented: string) => boolean {
  const digests = secrets.map((s) => createHash("sha256").update(s, "utf8").digest());
  return (presented) => {
    const digest = createHash("sha256").update(presented, "utf8").digest();
    let match = false;
    for (const expected of digests) match = timingSafeEqual(digest, expected) || match;
    return match;
  };
}
