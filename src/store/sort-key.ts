/**
 * latestData orders apps by name, case-insensitively. The key is stored as bytea (UTF-8 of the
 * lower-cased name) because bytea compares bytewise on every server: text would sort by the database's
 * collation, which differs between PostgreSQL installs and PGlite.
 */
export function sortKeyOf(name: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(name.toLowerCase());
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}
