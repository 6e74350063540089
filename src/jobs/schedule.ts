import cronParser from "cron-parser";

export type ParsedSchedule = { ok: true; cron: string | null } | { ok: false; error: string };

/**
 * Validates COLLECT_SCHEDULE the way node-schedule will read it (it uses cron-parser too), so a typo
 * stops the process at start instead of silently never collecting.
 */
export function parseSchedule(value: string): ParsedSchedule {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === "off") return { ok: true, cron: null };
  const fields = trimmed.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return {
      ok: false,
      error: `COLLECT_SCHEDULE must be a cron expression with 5 or 6 fields (or "off"), got ${fields} field(s) in "${trimmed}"`,
    };
  }
  try {
    cronParser.parseExpression(trimmed);
  } catch (error) {
    return { ok: false, error: `COLLECT_SCHEDULE "${trimmed}" is not a valid cron expression: ${(error as Error).message}` };
  }
  return { ok: true, cron: trimmed };
}
