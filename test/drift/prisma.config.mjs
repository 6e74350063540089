// Prisma 6 config for the offline drift check (test/integration/migrations.test.ts). Prisma 6 can run
// its schema engine as WASM through a driver adapter; Prisma 7's migrate needs a native engine that
// may not be downloadable. Plain object, no `prisma/config` import: from the repo root that name
// resolves to Prisma 7.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";

// The engine replays migrations on a shadow database as one multi-statement script without
// parameters; the adapter sends that as a prepared statement, which PostgreSQL refuses. Such a script
// goes through PGlite's exec() instead.
class ShadowCapablePGlite extends PrismaPGlite {
  async connectToShadowDb() {
    const pglite = new PGlite();
    const adapter = await new PrismaPGlite(pglite).connect();
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      if (query.args.length > 0) return executeRaw(query);
      await pglite.exec(query.sql);
      return 0;
    };
    return adapter;
  }
}

export default {
  engine: "js",
  experimental: { adapter: true },
  schema: process.env.DRIFT_SCHEMA,
  adapter: async () => new ShadowCapablePGlite(new PGlite()),
};
