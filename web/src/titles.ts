/**
 * Finding one software title (an exact name, and a source or any) in the pages of
 * `software(filter: { nameContains })`. The API has no exact lookup, and a name can be part of many
 * names that sort before it (perl, in a hundred lib…-perl packages): the title is not always on the
 * first page. Pages are read in order until the title, or a title that sorts after its place.
 */
export interface TitleKey {
  name: string;
  /** "" on the target: any source. */
  source: string;
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The API's order of titles (src/store/software-statements.ts): the lower-cased name's UTF-8 bytes,
 * then the name's own bytes (by code point, which UTF-16 comparison of JavaScript strings is not),
 * then the source. Without a source on either side, the names alone.
 */
export function compareTitles(a: TitleKey, b: TitleKey): number {
  return (
    compareBytes(utf8.encode(a.name.toLowerCase()), utf8.encode(b.name.toLowerCase())) ||
    compareBytes(utf8.encode(a.name), utf8.encode(b.name)) ||
    (a.source && b.source ? compareBytes(utf8.encode(a.source), utf8.encode(b.source)) : 0)
  );
}

export type TitleSearch<T> = { found: T } | { next: string } | { missing: true };

/** What one page (in the API's order) says of the target: here it is, read the page after, or there is none. */
export function findTitle<T extends TitleKey>(target: TitleKey, page: { titles: readonly T[]; hasNextPage: boolean; endCursor: string | null }): TitleSearch<T> {
  const found = page.titles.find((t) => t.name === target.name && (!target.source || t.source === target.source));
  if (found) return { found };
  const last = page.titles.at(-1);
  if (last && compareTitles(last, target) > 0) return { missing: true };
  return page.hasNextPage && page.endCursor ? { next: page.endCursor } : { missing: true };
}
