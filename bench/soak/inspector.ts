import { createWriteStream } from "node:fs";
import WebSocket from "ws";

/**
 * The soak's view into the service's V8 heap, through the inspector the soak starts it with
 * (`--inspect=127.0.0.1:0`, loopback, a port of its own): nothing in the service has to expose its
 * memory for this, and no other run of it does.
 */
export interface HeapProbe {
  /** A full garbage collection, then process.memoryUsage(): what is still reachable, not what is merely not yet collected. */
  usageAfterGc(): Promise<NodeJS.MemoryUsage>;
  /** Writes a .heapsnapshot (Chrome DevTools' format) to `path`; the service pauses while V8 walks its heap. */
  snapshot(path: string): Promise<void>;
  close(): void;
}

const DEBUGGER_LISTENING = /Debugger listening on (ws:\/\/\S+)/;
const DEBUGGER_ENDING = /^Debugger ending on ws:\/\/\S+$/;

/** The inspector's WebSocket URL from the line node prints on stderr when it starts with --inspect. */
export async function inspectorUrl(stderr: () => string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = DEBUGGER_LISTENING.exec(stderr());
    if (found) return found[1]!;
    if (Date.now() > deadline) throw new Error(`no "Debugger listening on ws://…" on the service's stderr within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The lines node writes on stderr about the inspector, which are not the service's own output. */
export const isInspectorNotice = (line: string) =>
  DEBUGGER_LISTENING.test(line) || DEBUGGER_ENDING.test(line) || line === "For help, see: https://nodejs.org/en/docs/inspector" || line === "Debugger attached.";

export async function connectInspector(url: string): Promise<HeapProbe> {
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 ** 3 });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  let onChunk: ((chunk: string) => void) | null = null;
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { chunk?: string } };
    if (message.method === "HeapProfiler.addHeapSnapshotChunk") return onChunk?.(message.params!.chunk!);
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error.message));
    else waiter?.resolve(message.result);
  });
  socket.on("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("the inspector connection closed"));
    pending.clear();
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });

  return {
    async usageAfterGc() {
      await call("HeapProfiler.collectGarbage");
      const evaluated = await call<{ result: { value?: string }; exceptionDetails?: { text: string } }>("Runtime.evaluate", {
        expression: "JSON.stringify(process.memoryUsage())",
        returnByValue: true,
      });
      if (evaluated.exceptionDetails || typeof evaluated.result.value !== "string") {
        throw new Error(`process.memoryUsage() in the service failed: ${evaluated.exceptionDetails?.text ?? "no value"}`);
      }
      return JSON.parse(evaluated.result.value) as NodeJS.MemoryUsage;
    },
    async snapshot(path) {
      const file = createWriteStream(path);
      onChunk = (chunk) => file.write(chunk);
      try {
        await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false });
      } finally {
        onChunk = null;
        await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
      }
    },
    close() {
      socket.close();
    },
  };
}
