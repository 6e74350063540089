import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { createFakeMachine, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, SnapshotDiffQuery, SnapshotUpdatedWithChangesSubscription } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

const packages = (spec: string) =>
  spec.split(" ").map((p) => {
    const [name, version] = p.split("@") as [string, string];
    return { name, version };
  });

describe.each(backends)("change history in the service process on %s", (backend) => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    machine = await createFakeMachine(ubuntu(packages("curl@7.81.0-1ubuntu1.15 bash@5.1-6ubuntu1 vim@2:8.2.3995-1ubuntu2 zsh@5.8.1-1")));
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, RETAIN_DAYS: "30", RETAIN_FAILED_DAYS: "2" });
    await service.waitForLog((l) => l.msg === "collection succeeded");
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when the service starts, then the retention job runs once with the configured windows", async () => {
    const pruned = await service.waitForLog((l) => l.msg === "history pruned");
    expect(pruned).toMatchObject({ component: "retention", failedSnapshots: 0, succeededSnapshots: 0 });
  });

  it("when a subscriber selects changes in snapshotUpdated, then each collection arrives with what it changed, over graphql-ws and SSE", async () => {
    const ws = createWebSocketClient(service.endpoint);
    const overWs = subscribeWs(ws, SnapshotUpdatedWithChangesSubscription);
    const overSse = subscribeSse(service.endpoint, SnapshotUpdatedWithChangesSubscription);
    try {
      await new Promise((r) => setTimeout(r, 500));
      await machine.set(ubuntu(packages("curl@7.81.0-1ubuntu1.16 bash@5.1-6ubuntu1 vim@2:8.2.3995-1ubuntu1 htop@3.0.5-7build2")));
      const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
      const expected = {
        id: collected.id,
        status: "SUCCEEDED",
        changes: {
          counts: { added: 1, removed: 1, upgraded: 1, downgraded: 1 },
          edges: [
            { node: { kind: "UPGRADED", name: "curl", fromVersion: "7.81.0-1ubuntu1.15", toVersion: "7.81.0-1ubuntu1.16" } },
            { node: { kind: "ADDED", name: "htop", fromVersion: null, toVersion: "3.0.5-7build2" } },
            { node: { kind: "DOWNGRADED", name: "vim", fromVersion: "2:8.2.3995-1ubuntu2", toVersion: "2:8.2.3995-1ubuntu1" } },
            { node: { kind: "REMOVED", name: "zsh", fromVersion: "5.8.1-1", toVersion: null } },
          ],
        },
      };
      const [a, b] = await Promise.all([overWs.next(), overSse.next()]);
      expect(a.data?.snapshotUpdated).toEqual(expected);
      expect(b.data?.snapshotUpdated).toEqual(expected);

      const first = Buffer.from("Snapshot:1").toString("base64");
      const diff = expectNoGraphQLErrors(await execute(service.endpoint, SnapshotDiffQuery, { from: first, to: collected.id })).snapshotDiff;
      expect(diff.counts).toEqual(expected.changes.counts);
    } finally {
      await overWs.close();
      await overSse.close();
      await ws.dispose();
    }
  });
});
