// NUL and unpaired UTF-16 surrogates cannot be stored in PostgreSQL text (PGlite neither).
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");

export function hasUnstorableText(value: string): boolean {
  return UNSTORABLE.test(value);
}

/** Replaces what PostgreSQL text cannot hold with U+FFFD, so what is stored equals what was compared. */
export function storableText(value: string): string {
  return value.replace(UNSTORABLE_ALL, "\uFFFD");
}
