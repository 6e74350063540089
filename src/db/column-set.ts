/**
 * The columns a list statement reads, chosen by what the request shows: each column of each row costs
 * parsing (text decoded, bytea and arrays built, times sliced), and a page usually shows a few of
 * many (README "Performance").
 */

/** Some of a statement's columns, with a tag naming the set in statement names. */
export interface ColumnSet<K extends string> {
  readonly keys: readonly K[];
  readonly tag: string;
  /** The SELECT list: each column's SQL as its key. */
  readonly sql: string;
}

export interface Columns<K extends string> {
  /** The set of `keys` and the columns every row needs, in the order the columns were given. */
  of(keys: Iterable<K>): ColumnSet<K>;
  /** Every column. */
  readonly all: ColumnSet<K>;
  /**
   * A statement family's sets, at most `limit` of them named: the others are read as `all`. Each set
   * is a prepared statement on each pooled connection, and selections can make thousands of sets.
   */
  bounded(limit: number): (set: ColumnSet<K>) => ColumnSet<K>;
}

/** `sql` maps each key (the row's property) to its SQL; `always` are read whatever is asked for. */
export function columns<K extends string>(sql: Readonly<Record<K, string>>, always: readonly NoInfer<K>[]): Columns<K> {
  const keys = Object.keys(sql) as K[];
  if (keys.length > 31) throw new Error("a column set's tag is a 31-bit mask");
  const of = (wanted: Iterable<K>): ColumnSet<K> => {
    const chosen = new Set<K>(wanted);
    for (const key of always) chosen.add(key);
    let mask = 0;
    const ordered: K[] = [];
    const list: string[] = [];
    keys.forEach((key, bit) => {
      if (!chosen.has(key)) return;
      mask |= 1 << bit;
      ordered.push(key);
      list.push(`${sql[key]} AS "${key}"`);
    });
    return { keys: ordered, tag: mask.toString(36), sql: list.join(", ") };
  };
  const all = of(keys);
  return {
    of,
    all,
    bounded(limit) {
      const named = new Set<string>([all.tag]);
      return (set) => {
        if (named.has(set.tag)) return set;
        if (named.size >= limit) return all;
        named.add(set.tag);
        return set;
      };
    },
  };
}
