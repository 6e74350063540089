// NUL and unpaired UTF-16 surrogates cannot be stored in PostgreSQL text (PGlite neither).
const NUL = /\u0000/;
const NUL_ALL = /\u0000/g;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNPAIRED_SURROGATE_ALL = new RegExp(UNPAIRED_SURROGATE.source, "g");

export function hasUnstorableText(value: string): boolean {
  return NUL.test(value) || UNPAIRED_SURROGATE.test(value);
}

/** Replaces what PostgreSQL text cannot hold with U+FFFD (storedText says what it replaced). */
export function storableText(value: string): string {
  return value.replace(NUL_ALL, "\uFFFD").replace(UNPAIRED_SURROGATE_ALL, "\uFFFD");
}

/** A reported value as it can be stored, and what had to change for that. */
export interface StoredText {
  /** NUL and unpaired surrogates replaced with U+FFFD, then cut to the limit. */
  text: string;
  /**
   * The part of the reported value that `text` stands for. Each replacement swaps one code unit for
   * one, so it is as long as `text`, and a U+FFFD in it was already in the reported value.
   */
  reported: string;
  nulReplaced: boolean;
  surrogateReplaced: boolean;
  truncated: boolean;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/**
 * `value` as PostgreSQL text can hold it, at most `maxLength` UTF-16 code units long. The cut never
 * splits a surrogate pair (it keeps one unit fewer instead), so the result is always well-formed.
 */
export function storedText(value: string, maxLength: number): StoredText {
  const replaced = storableText(value);
  let end = value.length;
  if (end > maxLength) end = isHighSurrogate(replaced.charCodeAt(maxLength - 1)) ? maxLength - 1 : maxLength;
  const reported = value.slice(0, end);
  return {
    text: replaced.slice(0, end),
    reported,
    nulReplaced: NUL.test(reported),
    surrogateReplaced: UNPAIRED_SURROGATE.test(reported),
    truncated: end < value.length,
  };
}
