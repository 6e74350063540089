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
 */
export function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      chunks.length = 0;
      req.off("data", onData);
      resolve(null);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
    // A client gone mid-body; settles nothing once the body has ended or was refused.
    req.once("close", () => reject(new Error("the client closed the connection before the body ended")));
  });
}
