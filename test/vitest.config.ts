import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  // graphql 16 ships CommonJS (main) and ESM (module). Node, and so Pothos and Yoga, load the CommonJS
  // build; Vite would pick the ESM one for our files, and two graphql instances reject each other's types.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/{unit,schema,integration}/**/*.test.ts"],
    // Each file gets its own database and often its own service process; PGlite takes ~1 GB per instance.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
