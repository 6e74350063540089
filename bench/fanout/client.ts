/**
 * A fan-out subscriber worker: `count` raw graphql-transport-ws sockets, each subscribed once to
 * snapshotUpdated, stamping the moment each frame reaches JavaScript. It shares two cores with the
 * server under test, so the receive path does as little as possible: no graphql-ws client, no
 * parsing, no IPC until the round is over. Frames are kept as they came and checked at report time.
 *
 * Forked by bench/fanout.ts as: client.ts <ws url> <count>
 */
import WebSocket, { type RawData } from "ws";
import { OPERATION_ID, SUBSCRIPTION, type ClientReport, type FromClient, type ToClient } from "./protocol.js";

const PROTOCOL = "graphql-transport-ws";
/** Handshakes in flight per worker: thousands at once would overflow the server's accept backlog. */
const HANDSHAKES_IN_FLIGHT = 100;
const HANDSHAKE_TIMEOUT_MS = 30_000;
const EXAMPLES = 5;

const INIT = JSON.stringify({ type: "connection_init" });
const SUBSCRIBE = JSON.stringify({ id: OPERATION_ID, type: "subscribe", payload: { query: SUBSCRIPTION } });

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
if (!url || !Number.isInteger(count) || count < 1 || !process.send) {
  process.stderr.write("usage: forked by bench/fanout.ts with <ws url> <count>\n");
  process.exit(2);
}
const send = (message: FromClient) => process.send!(message);

// The receipt clock: wall-clock epoch ms like the server's timestamps, at performance.now()'s resolution.
const origin = performance.timeOrigin;

const received = new Uint32Array(count);
const firstAt = new Float64Array(count);
const firstFrame: (RawData | undefined)[] = new Array(count);
let round = 0;
let armed = false;
let waiting = 0;
let closed = 0;
let stray = 0;
const closeExamples: string[] = [];
const strayExamples: string[] = [];

function receive(index: number, frame: RawData): void {
  const at = origin + performance.now();
  if (!armed) {
    if (++stray <= EXAMPLES) strayExamples.push(`#${index}: between rounds: ${String(frame).slice(0, 200)}`);
    return;
  }
  if (++received[index]! !== 1) return;
  firstAt[index] = at;
  firstFrame[index] = frame;
  if (--waiting === 0) send({ type: "delivered", round });
}

/** Resolves with null once the socket is acknowledged and its subscribe is sent, or with why it never got there. */
function open(index: number): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    let subscribed = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      resolve(`#${index}: ${reason}`);
    };
    const timer = setTimeout(() => fail(`no connection_ack within ${HANDSHAKE_TIMEOUT_MS} ms`), HANDSHAKE_TIMEOUT_MS);
    // No compression and no UTF-8 check on arrival: frames are decoded only at report time, if at all.
    const socket = new WebSocket(url!, PROTOCOL, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    socket.once("open", () => socket.send(INIT));
    socket.once("message", (frame) => {
      const text = String(frame);
      if (!text.includes('"connection_ack"')) return fail(`expected connection_ack, got ${text.slice(0, 200)}`);
      settled = true;
      subscribed = true;
      clearTimeout(timer);
      socket.on("message", (next: RawData) => receive(index, next));
      socket.send(SUBSCRIBE);
      resolve(null);
    });
    socket.on("error", (error) => fail(error.message));
    socket.on("close", (code, reason) => {
      if (!subscribed) return fail(`closed with ${code} ${String(reason)}`);
      closed++;
      if (closeExamples.length < EXAMPLES) closeExamples.push(`#${index}: closed with ${code} ${String(reason)}`);
    });
  });
}

function describeFrame(frame: RawData, expectedId: string): string | null {
  const text = String(frame);
  try {
    const message = JSON.parse(text) as {
      id?: unknown;
      type?: unknown;
      payload?: { data?: { snapshotUpdated?: { id?: unknown } | null } | null; errors?: unknown[] };
    };
    const id = message.payload?.data?.snapshotUpdated?.id;
    if (message.type === "next" && message.id === OPERATION_ID && id === expectedId && !message.payload?.errors?.length) return null;
  } catch {
    // Not JSON: reported below like any other wrong frame.
  }
  return `expected a next for snapshot ${expectedId}, got ${text.slice(0, 300)}`;
}

function report(expectedId: string): ClientReport {
  armed = false;
  const times: number[] = [];
  const examples: string[] = [...closeExamples.splice(0), ...strayExamples.splice(0)];
  let missing = 0;
  let duplicates = 0;
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const n = received[i]!;
    if (n === 0) {
      missing++;
      if (examples.length < EXAMPLES) examples.push(`#${i}: nothing received`);
      continue;
    }
    if (n > 1) {
      duplicates++;
      if (examples.length < EXAMPLES) examples.push(`#${i}: ${n} frames`);
    }
    const problem = describeFrame(firstFrame[i]!, expectedId);
    if (problem === null) {
      if (n === 1) times.push(firstAt[i]!);
    } else {
      wrong++;
      if (examples.length < EXAMPLES) examples.push(`#${i}: ${problem}`);
    }
  }
  const result: ClientReport = { type: "report", round, times, missing, duplicates, wrong, closed, stray, examples };
  stray = 0;
  return result;
}

process.on("disconnect", () => process.exit(0));
process.on("message", (message: ToClient) => {
  switch (message.type) {
    case "arm":
      round = message.round;
      received.fill(0);
      firstFrame.fill(undefined);
      waiting = count;
      armed = true;
      send({ type: "armed", round });
      break;
    case "report":
      send(report(message.expectedId));
      break;
  }
});

const failures: string[] = [];
let next = 0;
const lane = async () => {
  while (next < count) {
    const failure = await open(next++);
    if (failure !== null) failures.push(failure);
  }
};
await Promise.all(Array.from({ length: Math.min(HANDSHAKES_IN_FLIGHT, count) }, lane));
send({
  type: "ready",
  subscribed: count - failures.length,
  failed: failures.length,
  examples: failures.slice(0, EXAMPLES),
  clockSkewMs: Date.now() - (origin + performance.now()),
});
