import { isIP } from "node:net";
import { resolve } from "node:path";
import { z } from "zod";
import { parseSchedule } from "./collector/schedule.js";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

const envSchema = z.object({
  PORT: integer("PORT", 0, 65535).default(4000),
  HOST: z
    .string()
    .trim()
    .min(1, "HOST must not be empty")
    .refine((h) => isIP(h) !== 0 || /^[a-zA-Z0-9.-]+$/.test(h), "HOST must be an IP address or a host name")
    .default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), "DATABASE_URL must start with postgres:// or postgresql://")
    .refine((u) => URL.canParse(u), "DATABASE_URL is not a valid URL")
    .optional(),
  DATA_DIR: z.string().trim().min(1, "DATA_DIR must not be empty").default("./data"),
  OSQUERY_BIN: z.string().trim().min(1, "OSQUERY_BIN must not be empty").default("osqueryi"),
  OSQUERY_TIMEOUT_MS: integer("OSQUERY_TIMEOUT_MS", 100, 3_600_000).default(60_000),
  OSQUERY_MAX_OUTPUT_BYTES: integer("OSQUERY_MAX_OUTPUT_BYTES", 1024, 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  COLLECT_SCHEDULE: z
    .string()
    .trim()
    .default("*/5 * * * *")
    .superRefine((value, ctx) => {
      const parsed = parseSchedule(value);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
    }),
  RETAIN_DAYS: integer("RETAIN_DAYS", 1, 36_500).default(90),
  RETAIN_FAILED_DAYS: integer("RETAIN_FAILED_DAYS", 1, 36_500).default(7),
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(logLevels, { message: `LOG_LEVEL must be one of ${logLevels.join(", ")}` })).default("info"),
  NODE_ENV: z.string().optional(),
});

export type LogLevel = (typeof logLevels)[number];

export interface Config {
  server: { host: string; port: number };
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };
  osquery: { binary: string; timeoutMs: number; maxOutputBytes: number };
  /** node-schedule cron expression; null when the schedule is off (one collection still runs at start). */
  collectSchedule: string | null;
  retention: { retainDays: number; retainFailedDays: number };
  log: { level: LogLevel };
}

export type ParseConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Treats empty variables as unset, so `PORT= npm start` means the default rather than an error. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") out[key] = value;
  }
  return out;
}

export function parseConfig(env: Record<string, string | undefined>, cwd = process.cwd()): ParseConfigResult {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
    };
  }
  const e = parsed.data;
  const schedule = parseSchedule(e.COLLECT_SCHEDULE);
  return {
    ok: true,
    config: {
      server: { host: e.HOST, port: e.PORT },
      database: e.DATABASE_URL
        ? { kind: "postgres", url: e.DATABASE_URL }
        : { kind: "pglite", dataDir: resolve(cwd, e.DATA_DIR) },
      osquery: { binary: e.OSQUERY_BIN, timeoutMs: e.OSQUERY_TIMEOUT_MS, maxOutputBytes: e.OSQUERY_MAX_OUTPUT_BYTES },
      collectSchedule: schedule.ok ? schedule.cron : null,
      retention: { retainDays: e.RETAIN_DAYS, retainFailedDays: e.RETAIN_FAILED_DAYS },
      log: { level: e.LOG_LEVEL },
    },
  };
}
