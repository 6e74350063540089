/**
 * A soak subscriber worker: holds `count` graphql-ws clients, one socket each, all subscribed to
 * snapshotUpdated, and tells the parent (Node IPC) what they hear. It runs in a process of its own so
 * that fanning out 500 sockets' worth of frames never competes with the parent's query load or with
 * the server for an event loop.
 *
 * Started by soak.ts as: subscribers.ts <graphql endpoint> <count> <label> [<host ID>]; with a host
 * ID every client subscribes to that host's snapshots only, without one to every host's.
 */
import { decodeGlobalID } from "@pothos/plugin-relay";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { SUBSCRIPTION, type FromWorker, type ProblemKind, type ToWorker } from "./protocol.js";

/** Sockets opened at once: a burst of 500 handshakes would only measure the accept queue. */
const CONNECT_BATCH = 50;
/** The server sends nothing when a subscription is registered; this is how long registering takes at most. */
const SUBSCRIBE_SETTLE_MS = 20;
const STATS_EVERY_MS = 5000;
/** Past this many, problems are only counted: a broken run must not flood the IPC channel. */
const DETAILED_PROBLEMS = 50;

interface SnapshotEvent {
  snapshotUpdated?: { id: string; status: string; added: number; removed: number; host: { id: string } } | null;
}

const isCloseEvent = (value: unknown): value is { code: number; reason?: unknown } =>
  typeof value === "object" && value !== null && typeof (value as { code?: unknown }).code === "number";

function describe(value: unknown): string {
  if (isCloseEvent(value)) return `socket closed with ${value.code}${value.reason ? ` (${String(value.reason)})` : ""}`;
  if (value instanceof Error) return value.message;
  if (Array.isArray(value)) return value.map(describe).join("; ");
  if (typeof value === "object" && value !== null && "message" in value) return String((value as { message: unknown }).message);
  return String(value);
}

function snapshotNumber(globalId: string): number {
  const { typename, id } = decodeGlobalID(globalId);
  const number = Number(id);
  if (typename !== "Snapshot" || !Number.isSafeInteger(number)) throw new Error(`not a snapshot id: ${globalId}`);
  return number;
}

async function main(): Promise<void> {
  const [endpoint, countText, label = "subscribers", hostId] = process.argv.slice(2);
  const count = Number(countText);
  if (!endpoint || !Number.isInteger(count) || count < 1 || !process.send) {
    throw new Error("usage: forked by soak.ts with <graphql endpoint> <count> [label]");
  }
  const url = endpoint.replace(/^http/, "ws");
  const send = (message: FromWorker, then?: () => void) => process.send!(message, undefined, {}, () => then?.());

  const bySnapshot = new Map<number, number>();
  const closeCodes = new Map<number, number>();
  const clients: Client[] = [];
  let events = 0;
  let problems = 0;
  let open = 0;
  let expectingClose = false;
  let stats: NodeJS.Timeout | undefined;

  const problem = (subscriber: number, kind: ProblemKind, detail: string) => {
    problems++;
    if (problems <= DETAILED_PROBLEMS) send({ type: "problem", subscriber, kind, detail: `${label}#${subscriber}: ${detail}` });
  };

  /** Resolves true once the client is acknowledged and its subscribe message is out, false if it never got there. */
  const start = (index: number): Promise<boolean> =>
    new Promise((resolve) => {
      let connected = false;
      let settled = false;
      // Snapshot ids grow per host; two hosts' snapshots can commit in either order.
      const lastSnapshot = new Map<string, number>();
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (ok) setTimeout(() => resolve(true), SUBSCRIBE_SETTLE_MS);
        else resolve(false);
      };
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        // Non-lazy, no retries: a socket that drops stays dropped, so every drop is visible here.
        lazy: false,
        retryAttempts: 0,
        // Its default prints the whole close event to the console; closures are counted in `closed`.
        onNonLazyError: (error) => {
          if (!isCloseEvent(error) && !expectingClose) problem(index, "error", describe(error));
        },
        on: {
          connected: () => {
            connected = true;
            open++;
            settle(true);
          },
          closed: (event) => {
            if (connected) open--;
            connected = false;
            const code = isCloseEvent(event) ? event.code : -1;
            closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
            if (!settled) problem(index, "connect", describe(event));
            else if (!expectingClose) problem(index, "closed", describe(event));
            settle(false);
          },
        },
      });
      clients.push(client);
      client.subscribe<SnapshotEvent>(
        { query: SUBSCRIPTION, variables: hostId === undefined ? {} : { hostId } },
        {
          next: (result) => {
            events++;
            const snapshot = result.data?.snapshotUpdated;
            if (result.errors?.length || !snapshot) {
              problem(index, "bad-event", `event without a snapshot: ${describe(result.errors ?? "no data")}`);
              return;
            }
            let number: number;
            try {
              number = snapshotNumber(snapshot.id);
            } catch (error) {
              problem(index, "bad-event", describe(error));
              return;
            }
            const host = snapshot.host.id;
            const previous = lastSnapshot.get(host) ?? 0;
            if (number <= previous) problem(index, "repeat", `snapshot ${number} of ${host} after ${previous}`);
            if (hostId !== undefined && host !== hostId) problem(index, "bad-event", `snapshot ${number} of ${host}, subscribed to ${hostId}`);
            lastSnapshot.set(host, Math.max(previous, number));
            bySnapshot.set(number, (bySnapshot.get(number) ?? 0) + 1);
            if (snapshot.status !== "SUCCEEDED") problem(index, "bad-event", `snapshot ${number} is ${snapshot.status}`);
          },
          // A socket that closes reaches both `closed` above and here; it is counted once, there.
          error: (error) => {
            if (!isCloseEvent(error) && !expectingClose) problem(index, "error", describe(error));
          },
          complete: () => {
            if (!expectingClose) problem(index, "complete", "the subscription completed");
          },
        },
      );
    });

  process.on("disconnect", () => process.exit(1));
  process.on("message", (message: ToWorker) => {
    switch (message.type) {
      case "report":
        send({ type: "report", requestId: message.requestId, events, problems, open, bySnapshot: [...bySnapshot] });
        break;
      case "expect-close":
        expectingClose = true;
        send({ type: "expecting-close", requestId: message.requestId });
        break;
      case "close":
        expectingClose = true;
        clearInterval(stats);
        for (const client of clients) void client.dispose();
        send({ type: "closed", closeCodes: [...closeCodes] }, () => process.exit(0));
        break;
    }
  });

  let subscribed = 0;
  for (let first = 0; first < count; first += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - first) }, (_, i) => start(first + i));
    subscribed += (await Promise.all(batch)).filter(Boolean).length;
  }
  const pushStats = () => send({ type: "stats", events, problems, open });
  pushStats();
  send({ type: "ready", subscribed, failed: count - subscribed });
  stats = setInterval(pushStats, STATS_EVERY_MS);
}

main().catch((error: unknown) => {
  process.stderr.write(`subscriber worker failed: ${describe(error)}\n`);
  process.exit(1);
});
