/**
 * A read statement of the hot path, sent by name: on PostgreSQL each pooled connection parses and plans
 * it once (a prepared statement) instead of at every request. The same name must always carry the same
 * text; statements whose text varies (filters, bounds) name each variant.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
  /**
   * Its timestamptz columns come as Instants (src/db/instant.ts): IsoInstant strings made from
   * PostgreSQL's text instead of Dates, for statements of many rows whose times are only printed
   * (parsing every row's times into Dates and printing them again was a tenth of a page of hosts).
   * @default false
   */
  readonly isoInstants?: boolean;
}

/**
 * Runs one read statement outside any transaction and returns its rows as the driver parsed them
 * (int4 as number, timestamptz as Date or, with isoInstants, as an Instant, bytea as Uint8Array,
 * text[] as string[]). It bypasses Prisma's client: the few statements every latestData page sends
 * cost less this way (README "Performance").
 */
export type Read = <Row>(statement: Statement, values: readonly unknown[]) => Promise<Row[]>;
