import { createHash } from "node:crypto";
import type { PrismaClient } from "../../generated/prisma/client.js";
import { storableText } from "../../text.js";
import type { LogRequest } from "./protocol.js";

export interface AgentLogs {
  /**
   * Keeps the status lines of severity warning or error (the newest `errorsKept` per host) and counts
   * result lines. Idempotent: osquery resends a batch it did not see acknowledged, so each line is
   * recognised by its fingerprint and stored or counted once.
   */
  accept(hostId: number, request: LogRequest): Promise<{ stored: number; duplicates: number }>;
  /** Forgets result-line fingerprints older than `before` (a resend comes within hours, not days). */
  prune(before: Date): Promise<number>;
}

const MAX_MESSAGE = 4096;
/**
 * Prisma waits 2 s by default for a pooled connection to start a transaction. When a burst of
 * first inventories holds the pool, that failed log batches the agent would still have waited for
 * (osquery gives a request 16 s); past this wait the answer would come too late to matter.
 */
const LOG_TRANSACTION = { maxWait: 10_000, timeout: 15_000 } as const;
const MAX_SHORT = 256;

/** glog severities: 0 info, 1 warning, 2 error (numbers since osquery 5.10, strings before). */
function integer(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,10}$/.test(value.trim())) return Number(value);
  return null;
}

const INT4_MAX = 2_147_483_647;

/** A source line number as the int4 column holds it; one out of range is no line number, not a failed batch. */
function lineNumber(value: unknown): number | null {
  const n = integer(value);
  return n !== null && n >= 0 && n <= INT4_MAX ? n : null;
}

function text(value: unknown, max: number): string | null {
  if (typeof value !== "string" || value === "") return null;
  return storableText(value).slice(0, max);
}

/** The line's own time (unixTime, seconds), within reason; otherwise when it arrived. */
function loggedAt(line: Record<string, unknown>, receivedAt: Date): Date {
  const seconds = integer(line["unixTime"]);
  if (seconds === null || seconds <= 0 || seconds > 32_503_680_000) return receivedAt;
  return new Date(seconds * 1000);
}

const fingerprint = (line: unknown) => createHash("sha256").update(JSON.stringify(line)).digest();

export function createAgentLogs({ db, errorsKept, now = () => new Date() }: { db: PrismaClient; errorsKept: number; now?: () => Date }): AgentLogs {
  return {
    async accept(hostId, request) {
      const receivedAt = now();
      if (request.log_type === "status") {
        const lines = request.data.filter((line) => (integer(line["severity"]) ?? 0) >= 1);
        if (lines.length === 0) return { stored: 0, duplicates: 0 };
        const rows = lines.map((line) => ({
          hostId,
          loggedAt: loggedAt(line, receivedAt),
          receivedAt,
          severity: Math.min(integer(line["severity"])!, 3),
          filename: text(line["filename"], MAX_SHORT),
          line: lineNumber(line["line"]),
          message: text(line["message"], MAX_MESSAGE) ?? "",
          osqueryVersion: text(line["version"], MAX_SHORT),
          fingerprint: new Uint8Array(fingerprint(line)),
        }));
        return db.$transaction(async (tx) => {
          const { count } = await tx.agentError.createMany({ data: rows, skipDuplicates: true });
          // Only the newest errorsKept lines of the host stay.
          await tx.$executeRaw`DELETE FROM agent_errors WHERE host_id = ${hostId} AND id < (
            SELECT id FROM agent_errors WHERE host_id = ${hostId} ORDER BY id DESC OFFSET ${errorsKept - 1} LIMIT 1)`;
          return { stored: count, duplicates: rows.length - count };
        }, LOG_TRANSACTION);
      }
      if (request.data.length === 0) return { stored: 0, duplicates: 0 };
      // 64 bits of SHA-256 per line: a collision between two lines of one host is not a concern.
      const prints = [...new Set(request.data.map((line) => fingerprint(line).readBigInt64BE(0)))];
      // One statement, so atomic without a transaction of round trips: the UPDATE counts exactly the
      // lines this batch inserted (a resent batch, or the same batch arriving twice at once, adds none).
      const [{ inserted }] = await db.$queryRaw<[{ inserted: number }]>`WITH fresh AS (
          INSERT INTO agent_log_lines (host_id, fingerprint, received_at)
          SELECT ${hostId}::int, f, ${receivedAt}::timestamptz FROM unnest(${prints}::bigint[]) AS f
          ON CONFLICT DO NOTHING RETURNING 1
        ), counted AS (
          UPDATE hosts SET result_lines = result_lines + (SELECT count(*) FROM fresh)
          WHERE id = ${hostId}::int AND EXISTS (SELECT 1 FROM fresh)
        )
        SELECT count(*)::int AS inserted FROM fresh`;
      return { stored: inserted, duplicates: request.data.length - inserted };
    },
    async prune(before) {
      return db.$executeRaw`DELETE FROM agent_log_lines WHERE received_at < ${before}`;
    },
  };
}
