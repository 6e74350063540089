import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { holdPort, LISTEN_BACKLOG, type HeldPort } from "../../src/server/hold-port.js";

// Node accepts one connection per turn of its event loop, so while the service is busy, connections
// wait in the kernel's queue; past its length the kernel drops their handshakes and each client
// retries its SYN after 1, 3, 7 s (agents gave up at 16 s in a 3,000-host burst).
const CONNECTIONS = 1200;
const somaxconn = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim());
  } catch {
    return 0;
  }
})();

/**
 * Opens CONNECTIONS connections to the port from another process while this one's event loop is
 * blocked (execFileSync), so none is accepted: resolves how many the kernel completed within 1.5 s.
 */
function connectedWhileBlocked(port: number): number {
  const script = `
    const net = require("node:net");
    let connected = 0;
    const sockets = [];
    for (let i = 0; i < ${CONNECTIONS}; i++) {
      const s = net.connect(${port}, "127.0.0.1", () => connected++);
      s.on("error", () => {});
      sockets.push(s);
    }
    setTimeout(() => { process.stdout.write(String(connected)); for (const s of sockets) s.destroy(); process.exit(0); }, 1500);`;
  return Number(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
}

describe.runIf(somaxconn > CONNECTIONS)("listen backlog", () => {
  let held: HeldPort | null = null;
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(async () => {
    await held?.release();
    held = null;
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it(`when ${CONNECTIONS} connections arrive while the process is busy, then the kernel queues every one (Node's default queue is 511)`, async () => {
    expect(LISTEN_BACKLOG).toBeGreaterThan(CONNECTIONS);
    held = await holdPort(0, "127.0.0.1");
    expect(connectedWhileBlocked(held.port)).toBe(CONNECTIONS);
  });

  it("when the server takes the held port over, then its queue is as long", async () => {
    held = await holdPort(0, "127.0.0.1");
    const server = createServer((_req, res) => res.end());
    servers.push(server);
    const port = await held.transferTo(server);
    expect(connectedWhileBlocked(port)).toBe(CONNECTIONS);
  });
});
