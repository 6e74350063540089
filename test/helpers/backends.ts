/** Database backends the DB-backed suites run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export type Backend = "pglite" | "postgres";

export const testDatabaseUrl = process.env["TEST_DATABASE_URL"] || undefined;

export const backends: Backend[] = testDatabaseUrl ? ["pglite", "postgres"] : ["pglite"];

/** Redis for the scale-out suites; set by .ci/run, which fails when Redis is unreachable. */
export const testRedisUrl = process.env["TEST_REDIS_URL"] || undefined;
