import type { IncomingMessage } from "node:http";

export function bodyTooLargeMessage(maxBodyBytes: number): string {
  return `request body too large: at most ${maxBodyBytes} bytes (MAX_BODY_BYTES)`;
}

/**
 * Reads a body of undeclared length (Transfer-Encoding: chunked), counting bytes as they arrive;
 * resolves null as soon as it passes maxBytes. The rest is then read and dropped, never held: the
 * client sees the answer (closing the socket under a client still sending resets the connection,
 * and the answer is lost), and Node's requestTimeout bounds how long that can go on. Rejects when
 * the client goes away first.
 *
 * On the agents' hot path (every check-in comes through here), so the listeners are removed once it
 * settles: `close` follows `end` on every request, and an Error built there for nobody costs more than
 * the rest of the read.
 */
export function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Methods, not named closures: tsx (keepNames) would call defineProperty for each, per request.
    const on = {
      data(chunk: Buffer) {
        size += chunk.length;
        if (size <= maxBytes) return void chunks.push(chunk);
        chunks.length = 0;
        on.settle();
        resolve(null);
      },
      end() {
        on.settle();
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      },
      error(error: Error) {
        on.settle();
        reject(error);
      },
      // A client gone mid-body.
      close() {
        on.settle();
        reject(new Error("the client closed the connection before the body ended"));
      },
      settle() {
        req.off("data", on.data);
        req.off("end", on.end);
        req.off("error", on.error);
        req.off("close", on.close);
      },
    };
    req.on("data", on.data);
    req.on("end", on.end);
    req.on("error", on.error);
    req.on("close", on.close);
  });
}
