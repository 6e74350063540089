// Configuration for the Prisma CLI (generate, migrate status/deploy on a machine that has Prisma's
// schema engine). The service itself never reads this file: it applies prisma/migrations at start.
import { defineConfig } from "prisma/config";

const url = process.env["DATABASE_URL"];

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  ...(url ? { datasource: { url } } : {}),
});
