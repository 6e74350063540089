import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /** @default process.stdout */
  destination?: NodeJS.WritableStream;
}

/** One JSON logger for the whole process; components get `logger.child({ component })`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "osquery-inventory" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ["req.headers.authorization", "*.authorization", "authorization", "*.token", "token", "*.password", "connectionParams", "*.node_key", "node_key", "*.enroll_secret", "enroll_secret"],
        censor: "[redacted]",
      },
    },
    options.destination ?? process.stdout,
  );
}

/** Removes the password from a connection string before it is logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
