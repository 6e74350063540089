/**
 * The soak's query load: a few closed loops, each cycling through a fixed mix of the reads a
 * dashboard makes (first pages, full cursor walks, filters, history, diffs, node lookups, hosts).
 * Every request is timed; a non-200, a body that is not a GraphQL result, any GraphQL error, or an
 * answer that contradicts itself (a walk that repeats an app, a diff whose counts do not add up)
 * is an error.
 */

const PAGE = 100;
/** A bounded memory of ids seen, so node() and appHistory() look up things that really exist. */
const REMEMBERED = 100;
const ERROR_SAMPLES = 20;

const LATEST_DATA = /* GraphQL */ `
  query SoakLatestData($first: Int, $after: String, $filter: AppFilter) {
    latestData(first: $first, after: $after, filter: $filter) {
      totalCount
      snapshot { id }
      edges { cursor node { id name version source } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const SNAPSHOTS = /* GraphQL */ `
  query SoakSnapshots($first: Int) {
    snapshots(first: $first) {
      edges { node { id status collectedAt appCount added removed } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const SNAPSHOT_DIFF = /* GraphQL */ `
  query SoakSnapshotDiff($from: ID!, $to: ID!, $first: Int) {
    snapshotDiff(from: $from, to: $to, first: $first) {
      totalCount
      counts { added removed upgraded downgraded }
      edges { cursor node { kind name source fromVersion toVersion app { id } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const NODE = /* GraphQL */ `
  query SoakNode($id: ID!) {
    node(id: $id) {
      id
      ... on App { name version source }
      ... on Snapshot { status appCount }
    }
  }
`;

const HOSTS = /* GraphQL */ `
  query SoakHosts {
    hosts(first: 10) { edges { node { id hostname platform latestSnapshot { id appCount } } } }
  }
`;

const APP_HISTORY = /* GraphQL */ `
  query SoakAppHistory($name: String!) {
    appHistory(name: $name) { version source firstSeenAt removedAt }
  }
`;

interface AppNode {
  id: string;
  name: string;
  version: string | null;
  source: string;
}

interface LatestDataResult {
  latestData: {
    totalCount: number;
    snapshot: { id: string } | null;
    edges: { cursor: string; node: AppNode }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface SnapshotsResult {
  snapshots: { edges: { node: { id: string; status: string; appCount: number } }[] };
}

interface SnapshotDiffResult {
  snapshotDiff: {
    totalCount: number;
    counts: { added: number; removed: number; upgraded: number; downgraded: number };
    edges: { node: { kind: string; name: string } }[];
  };
}

interface NodeResult {
  node: { id: string } | null;
}

interface AppHistoryResult {
  appHistory: { version: string | null }[];
}

export interface OpStats {
  latencies: number[];
  errors: number;
}

export type LoadStats = ReturnType<typeof createLoadStats>;

export function createLoadStats() {
  /** Every request's latency in ms, in completion order, so progress lines can look at the last interval. */
  const latencies: number[] = [];
  const byOp = new Map<string, OpStats>();
  const errorSamples: string[] = [];
  let errors = 0;
  const opStats = (op: string) => {
    let stats = byOp.get(op);
    if (!stats) byOp.set(op, (stats = { latencies: [], errors: 0 }));
    return stats;
  };
  const fail = (op: string, message: string) => {
    errors++;
    opStats(op).errors++;
    if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(`${new Date().toISOString()} ${op}: ${message}`);
  };
  return {
    latencies,
    byOp,
    errorSamples,
    get requests() {
      return latencies.length;
    },
    get errors() {
      return errors;
    },
    /** One request: its latency, and why it failed if it did. */
    record(op: string, ms: number, failure: string | null) {
      latencies.push(ms);
      opStats(op).latencies.push(ms);
      if (failure !== null) fail(op, failure);
    },
    /** An answer that arrived fine but contradicts itself or an earlier answer. */
    inconsistent(op: string, message: string) {
      fail(op, `inconsistent answer: ${message}`);
    },
  };
}

interface Memory {
  apps: AppNode[];
  snapshots: string[];
  added: number;
}

function remember<T>(list: T[], item: T, memory: Memory): void {
  memory.added++;
  if (list.length < REMEMBERED) list.push(item);
  else list[memory.added % REMEMBERED] = item;
}

const pick = <T>(list: readonly T[], n: number): T | undefined => list[n % Math.max(1, list.length)];

type Operation = (memory: Memory, turn: number) => Promise<void>;

/**
 * Runs `concurrency` loops until `signal` aborts; each finishes the request it is in, so no request is
 * cut off and counted as an error by the benchmark's own doing.
 */
export async function runQueryLoad(endpoint: string, concurrency: number, signal: AbortSignal, stats: LoadStats): Promise<void> {
  const post = async <T>(op: string, query: string, variables: Record<string, unknown> = {}): Promise<T | null> => {
    const started = performance.now();
    let failure: string | null = null;
    let data: T | null = null;
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      type Body = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
      let body: Body | null = null;
      try {
        body = JSON.parse(text) as Body;
      } catch {
        // Reported below with the text itself.
      }
      if (response.status !== 200) failure = `HTTP ${response.status}: ${text.slice(0, 300)}`;
      else if (!body) failure = `a body that is not JSON: ${text.slice(0, 300)}`;
      else if (body.errors?.length) failure = body.errors.map((e) => `[${e.extensions?.code ?? "no code"}] ${e.message}`).join("; ");
      else if (!body.data) failure = "a result without data";
      else data = body.data;
    } catch (error) {
      const cause = (error as Error & { cause?: unknown }).cause;
      failure = `request failed: ${(error as Error).message}${cause ? ` (${String(cause)})` : ""}`;
    }
    stats.record(op, performance.now() - started, failure);
    return data;
  };

  const firstPage: Operation = async (memory) => {
    const data = await post<LatestDataResult>("latestData first page", LATEST_DATA, { first: PAGE });
    for (const { node } of data?.latestData.edges ?? []) remember(memory.apps, node, memory);
  };

  // The cursor pins the walk to the snapshot it started on, so collections landing mid-walk must not
  // make it skip, repeat or reorder anything.
  const walk: Operation = async () => {
    const op = "latestData walk page";
    const seen = new Set<string>();
    let after: string | null = null;
    let snapshot: string | undefined;
    let total = -1;
    let lastName = "";
    for (;;) {
      if (signal.aborted) return;
      const data: LatestDataResult | null = await post<LatestDataResult>(op, LATEST_DATA, { first: PAGE, after });
      if (!data) return;
      const page: LatestDataResult["latestData"] = data.latestData;
      snapshot ??= page.snapshot?.id;
      if (total < 0) total = page.totalCount;
      if (page.snapshot?.id !== snapshot) return stats.inconsistent(op, `the walk moved from snapshot ${snapshot} to ${page.snapshot?.id}`);
      if (page.totalCount !== total) return stats.inconsistent(op, `totalCount changed mid-walk from ${total} to ${page.totalCount}`);
      for (const { node } of page.edges) {
        const name = node.name.toLowerCase();
        if (seen.has(node.id)) return stats.inconsistent(op, `the walk repeated ${node.name}`);
        if (name < lastName) return stats.inconsistent(op, `the walk went back from ${lastName} to ${name}`);
        seen.add(node.id);
        lastName = name;
      }
      after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) break;
    }
    if (seen.size !== total) stats.inconsistent(op, `the walk saw ${seen.size} apps of totalCount ${total}`);
  };

  const filterTerms = ["pkg-00", "PKG-015", "pkg-0199", "kg-02", "1234", "no-such-package"];
  const filter: Operation = async (_memory, turn) => {
    const term = pick(filterTerms, turn)!;
    const data = await post<LatestDataResult>("latestData filter", LATEST_DATA, {
      first: 20,
      filter: { nameContains: term, source: "deb_packages" },
    });
    const stray = data?.latestData.edges.find(({ node }) => !node.name.toLowerCase().includes(term.toLowerCase()));
    if (stray) stats.inconsistent("latestData filter", `"${stray.node.name}" does not contain "${term}"`);
  };

  const snapshots: Operation = async (memory) => {
    const data = await post<SnapshotsResult>("snapshots", SNAPSHOTS, { first: 10 });
    for (const { node } of data?.snapshots.edges ?? []) remember(memory.snapshots, node.id, memory);
  };

  const diff: Operation = async () => {
    const recent = await post<SnapshotsResult>("snapshots", SNAPSHOTS, { first: 5 });
    const succeeded = recent?.snapshots.edges.filter(({ node }) => node.status === "SUCCEEDED") ?? [];
    const [to, from] = succeeded;
    if (!to || !from) return;
    const data = await post<SnapshotDiffResult>("snapshotDiff newest two", SNAPSHOT_DIFF, { from: from.node.id, to: to.node.id, first: 50 });
    if (!data) return;
    const { counts, totalCount, edges } = data.snapshotDiff;
    const sum = counts.added + counts.removed + counts.upgraded + counts.downgraded;
    if (sum !== totalCount || edges.length !== Math.min(50, totalCount)) {
      stats.inconsistent("snapshotDiff newest two", `counts ${JSON.stringify(counts)}, totalCount ${totalCount}, ${edges.length} edges`);
    }
  };

  const node: Operation = async (memory, turn) => {
    const id = turn % 3 === 0 ? pick(memory.snapshots, turn) : pick(memory.apps, turn)?.id;
    if (!id) return firstPage(memory, turn);
    const data = await post<NodeResult>("node", NODE, { id });
    if (data && data.node?.id !== id) stats.inconsistent("node", `node(${id}) answered ${JSON.stringify(data.node)}`);
  };

  const hosts: Operation = async () => {
    const data = await post<{ hosts: { edges: unknown[] } }>("hosts", HOSTS);
    if (data && data.hosts.edges.length !== 1) stats.inconsistent("hosts", `${data.hosts.edges.length} hosts, expected 1`);
  };

  const history: Operation = async (memory, turn) => {
    const app = pick(memory.apps, turn);
    if (!app) return firstPage(memory, turn);
    const data = await post<AppHistoryResult>("appHistory", APP_HISTORY, { name: app.name });
    if (data && data.appHistory.length === 0) stats.inconsistent("appHistory", `no history for ${app.name}, which was listed`);
  };

  // A walk is 20 requests; one per two rounds of the rest keeps it under half of the traffic.
  const round: Operation[] = [firstPage, node, filter, snapshots, diff, firstPage, node, hosts, filter, history, node, diff];
  const mix: Operation[] = [...round, walk, ...round];

  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      const memory: Memory = { apps: [], snapshots: [], added: 0 };
      // Loops start at different points of the mix so the server sees all of it at once.
      for (let turn = loop * 3; !signal.aborted; turn++) await mix[turn % mix.length]!(memory, turn);
    }),
  );
}
