/** The little a migration runner needs from a database session: scripts, and parameterised queries. */
export interface SqlConnection {
  /** Runs a script that may hold several statements (simple query protocol, no parameters). */
  exec(sql: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  release(): Promise<void>;
}
