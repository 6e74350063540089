import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { OPEN_SECURITY } from "../../src/server/server.js";
import { createHarness, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";

// Keep-alive is the HTTP server's, not the database's: PGlite only.
const REQUEST = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";

/** Sends one keep-alive request on the socket and resolves with the response head's status line. */
function exchange(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // /health answers chunked: the exchange is over at the last (empty) chunk.
      if (received.endsWith("\r\n0\r\n\r\n")) {
        socket.off("data", onData).off("error", reject);
        resolve(received.slice(0, received.indexOf("\r\n")));
      }
    };
    socket.on("data", onData).once("error", reject);
    socket.write(REQUEST);
  });
}

describe("keep-alive", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  const open = async (keepAliveMs: number) => {
    h = await createHarness("pglite", ubuntu(), { security: { ...OPEN_SECURITY, http: { ...OPEN_SECURITY.http, keepAliveMs } } });
    const { port } = new URL(await h.listen());
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    return socket;
  };

  it("when the keep-alive timeout is longer than Node's 5 s, then a client's next request 6 s later reuses its connection", async () => {
    const socket = await open(10_000);
    let closed = false;
    socket.once("close", () => (closed = true));
    expect(await exchange(socket)).toBe("HTTP/1.1 200 OK");
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(closed).toBe(false);
    expect(await exchange(socket)).toBe("HTTP/1.1 200 OK");
    socket.destroy();
  }, 20_000);

  it("when a connection stays idle past the keep-alive timeout, then the server closes it", async () => {
    const socket = await open(500);
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
    expect(await exchange(socket)).toBe("HTTP/1.1 200 OK");
    const answered = Date.now();
    // Node checks idle sockets on a timer of its own: closed after the timeout, well before Node's 5 s.
    expect((await closed) - answered).toBeGreaterThanOrEqual(400);
    expect((await closed) - answered).toBeLessThan(4000);
  }, 20_000);
});
