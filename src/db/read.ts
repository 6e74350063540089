/**
 * A read statement of the hot path, sent by name: on PostgreSQL each pooled connection parses and plans
 * it once (a prepared statement) instead of at every request. The same name must always carry the same
 * text; statements whose text varies (filters, bounds) name each variant.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/**
 * Runs one read statement outside any transaction and returns its rows as the driver parsed them
 * (int4 as number, timestamptz as Date, bytea as Uint8Array, text[] as string[]). It bypasses Prisma's
 * client: the few statements every latestData page sends cost less this way (README "Performance").
 */
export type Read = <Row>(statement: Statement, values: readonly unknown[]) => Promise<Row[]>;
