import { access, mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Config } from "../config.js";
import { StartupError } from "../errors.js";
import { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";
import { instantParser, TIMESTAMPTZ_OID } from "./instant.js";
import { createLocalLocks, createPostgresLocks, type Locks } from "./locks.js";
import type { Read, Statement } from "./read.js";
import type { SqlConnection } from "./sql-connection.js";

export interface Database {
  kind: Config["database"]["kind"];
  prisma: PrismaClient;
  /** The hot read path's statements, past Prisma's client (src/db/read.ts). */
  read: Read;
  /** Sessions that run statements at once: the pool's size (DATABASE_POOL_SIZE), 1 for PGlite's one session. */
  connections: number;
  /** A session of its own (PostgreSQL) for work that holds session state, such as migration locks. */
  connect(): Promise<SqlConnection>;
  /** Leadership and per-host collection locks among the instances sharing this database. */
  locks: Locks;
  /** Resolves when the database answers a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 2000;

/**
 * PostgreSQL settings for the embedded database, given on its command line so they apply to data
 * directories that already exist. PGlite's shared memory lives in the process's WebAssembly memory and
 * is all resident, so initdb's 128 MB of shared_buffers cost 120 MB of RSS; 16 MB holds what one
 * machine's inventory reads (README "Memory": 8 MB saved only 7 MB more), and pages beyond it are read
 * from the data directory through the OS cache.
 */
const PGLITE_SETTINGS = ["shared_buffers=16MB"];

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class DataDirInUseError extends StartupError {
  override name = "DataDirInUseError";
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is a single-process database: two processes on one data directory would corrupt it. A pid
 * file claims the directory; one left by a process that died is taken over.
 */
async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, "osquery-inventory.pid");
  for (;;) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
        throw new DataDirInUseError(
          `DATA_DIR ${dataDir} is in use by another process (pid ${pid}); the embedded database allows one ` +
            "process per data directory. Stop that process, choose another DATA_DIR, or use DATABASE_URL to share PostgreSQL.",
        );
      }
      await rm(file, { force: true });
    }
  }
}

export interface OpenOptions {
  /**
   * Where the build keeps a new embedded database for each PGlite version (`<version>.tar.gz`, see
   * scripts/build.mjs). A first start on an empty DATA_DIR unpacks it rather than running initdb; when
   * it is missing (sources run through tsx without a build), PGlite runs initdb.
   * @default null
   */
  pgliteTemplateDir?: string | null;
}

/** The new database packed for the installed PGlite, or null when the build made none. */
async function readPgliteTemplate(templateDir: string): Promise<Buffer | null> {
  const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.resolve("@electric-sql/pglite")), "utf8")) as { version: string };
  try {
    return await readFile(join(templateDir, `${pkg.version}.tar.gz`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function isNewDataDir(dataDir: string): Promise<boolean> {
  try {
    await access(join(dataDir, "PG_VERSION"));
    return false;
  } catch {
    return true;
  }
}

async function openPglite(dataDir: string, logger: Logger, templateDir: string | null): Promise<Database> {
  // Loaded only here: the embedded engine costs ~40 MB of memory that a PostgreSQL deployment never uses.
  const [{ PGlite: Engine, types }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
  // PGlite creates its own folder but not the parents of it.
  await mkdir(dataDir, { recursive: true });
  const release = await claimDataDir(dataDir);
  const started = performance.now();
  let client: PGlite;
  let created: "from template" | "initdb" | null = null;
  try {
    const isNew = await isNewDataDir(dataDir);
    const template = isNew && templateDir !== null ? await readPgliteTemplate(templateDir) : null;
    if (isNew) created = template ? "from template" : "initdb";
    client = await Engine.create(dataDir, {
      startParams: [...Engine.defaultStartParams, ...PGLITE_SETTINGS.flatMap((setting) => ["-c", setting])],
      ...(template ? { loadDataDir: new Blob([new Uint8Array(template)]) } : {}),
    });
  } catch (error) {
    await release();
    throw error;
  }
  logger.info({ dataDir, ms: Math.round(performance.now() - started), ...(created ? { created } : {}) }, "embedded database (PGlite) opened");
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client), errorFormat: "minimal" });
  const isoInstants = { parsers: { [TIMESTAMPTZ_OID]: instantParser((text) => types.parseType(text, TIMESTAMPTZ_OID)) } };
  return {
    kind: "pglite",
    prisma,
    connections: 1,
    // One session: PGlite queues this behind any transaction Prisma holds open on it.
    read: async <Row>(statement: Statement, values: readonly unknown[]) =>
      (await client.query<Row>(statement.text, [...values], statement.isoInstants ? isoInstants : undefined)).rows,
    locks: createLocalLocks(),
    async connect() {
      return {
        exec: async (sql) => {
          await client.exec(sql);
        },
        query: async <Row>(sql: string, params: unknown[] = []) => (await client.query<Row>(sql, params)).rows,
        release: async () => {},
      };
    },
    async ping() {
      await withTimeout(client.query("SELECT 1"), PING_TIMEOUT_MS, "PGlite");
    },
    async close() {
      await prisma.$disconnect();
      // An open PGlite keeps a timer that holds Node's event loop open.
      if (!client.closed) await client.close();
      await release();
    },
  };
}

// node-postgres's own default.
const DEFAULT_POOL_SIZE = 10;

async function openPostgres(url: string, poolSize: number, logger: Logger): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000, max: poolSize });
  pool.on("error", (error) => logger.warn({ err: error }, "idle PostgreSQL connection failed"));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool), errorFormat: "minimal" });
  // For this query only: the pool's sessions are Prisma's too, and its adapter parses types its own way.
  const instant = instantParser(pg.types.getTypeParser(TIMESTAMPTZ_OID, "text"));
  const isoInstants = {
    getTypeParser: (oid: number, format?: string) => (oid === TIMESTAMPTZ_OID && format !== "binary" ? instant : pg.types.getTypeParser(oid, format as "text")),
  };
  return {
    kind: "postgres",
    prisma,
    connections: poolSize,
    read: async <Row>(statement: Statement, values: readonly unknown[]) =>
      (await pool.query({ name: statement.name, text: statement.text, values: [...values], ...(statement.isoInstants ? { types: isoInstants } : {}) }))
        .rows as Row[],
    locks: createPostgresLocks({ url, logger }),
    async connect() {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      client.on("error", (error) => logger.warn({ err: error }, "PostgreSQL session failed"));
      await client.connect();
      return {
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <Row>(sql: string, params: unknown[] = []) =>
          (await client.query(sql, params)).rows as Row[],
        release: () => client.end(),
      };
    },
    async ping() {
      await withTimeout(pool.query("SELECT 1"), PING_TIMEOUT_MS, "PostgreSQL");
    },
    async close() {
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
    },
  };
}

export function openDatabase(config: Config["database"], logger: Logger, options: OpenOptions = {}): Promise<Database> {
  return config.kind === "pglite" ? openPglite(config.dataDir, logger, options.pgliteTemplateDir ?? null) : openPostgres(config.url, config.poolSize ?? DEFAULT_POOL_SIZE, logger);
}
