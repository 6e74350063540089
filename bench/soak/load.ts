/**
 * The soak's query load: a few closed loops, each cycling through a fixed mix of the reads a
 * dashboard makes (first pages, full cursor walks, filters, history, diffs, node lookups, hosts).
 * In fleet mode the host-scoped reads name the service's own host, and the mix adds what a fleet's
 * dashboard reads: hosts pages with their newest snapshots, another host's apps, fleet-wide software
 * titles and the hosts of one.
 * Every request is timed; a non-200, a body that is not a GraphQL result, any GraphQL error, or an
 * answer that contradicts itself (a walk that repeats an app, a diff whose counts do not add up)
 * is an error.
 */

const PAGE = 100;
/** A bounded memory of ids seen, so node() and appHistory() look up things that really exist. */
const REMEMBERED = 100;
const ERROR_SAMPLES = 20;

const LATEST_DATA = /* GraphQL */ `
  query SoakLatestData($first: Int, $after: String, $filter: AppFilter, $hostId: ID) {
    latestData(first: $first, after: $after, filter: $filter, hostId: $hostId) {
      totalCount
      snapshot { id }
      edges { cursor node { id name version source } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const SNAPSHOTS = /* GraphQL */ `
  query SoakSnapshots($first: Int, $hostId: ID) {
    snapshots(first: $first, hostId: $hostId) {
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
  query SoakHosts($after: String) {
    hosts(first: 10, after: $after) {
      edges { node { id hostname platform latestSnapshot { id appCount } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const APP_HISTORY = /* GraphQL */ `
  query SoakAppHistory($name: String!, $hostId: ID) {
    appHistory(name: $name, hostId: $hostId) { version source firstSeenAt removedAt }
  }
`;

const SOFTWARE = /* GraphQL */ `
  query SoakSoftware($first: Int, $after: String, $filter: AppFilter) {
    software(first: $first, after: $after, filter: $filter) {
      totalCount
      edges { node { name source hostCount versions { version hostCount } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const SOFTWARE_HOSTS = /* GraphQL */ `
  query SoakSoftwareHosts($name: String!, $source: String) {
    softwareHosts(name: $name, source: $source, first: 20) {
      totalCount
      edges { node { id hostname } }
    }
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

interface HostsResult {
  hosts: {
    edges: { node: { id: string; latestSnapshot: { id: string; appCount: number } | null } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface SoftwareResult {
  software: {
    totalCount: number;
    edges: { node: { name: string; source: string; hostCount: number; versions: { hostCount: number }[] } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface SoftwareHostsResult {
  softwareHosts: { totalCount: number; edges: { node: { id: string } }[] };
}

/** Fleet mode: the service's own host (the one the local collector reports), whose history the checks know. */
export interface FleetLoad {
  localHostId: string;
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
  /** Fleet mode: other hosts seen in hosts pages, and software titles seen. */
  hosts: string[];
  titles: { name: string; source: string }[];
  hostsAfter: string | null;
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
export async function runQueryLoad(endpoint: string, concurrency: number, signal: AbortSignal, stats: LoadStats, fleet: FleetLoad | null = null): Promise<void> {
  // Undefined leaves the variable out of the request: outside fleet mode there is only one host.
  const hostId = fleet?.localHostId;
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
    const data = await post<LatestDataResult>("latestData first page", LATEST_DATA, { first: PAGE, hostId });
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
      const data: LatestDataResult | null = await post<LatestDataResult>(op, LATEST_DATA, { first: PAGE, after, hostId });
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
      hostId,
    });
    const stray = data?.latestData.edges.find(({ node }) => !node.name.toLowerCase().includes(term.toLowerCase()));
    if (stray) stats.inconsistent("latestData filter", `"${stray.node.name}" does not contain "${term}"`);
  };

  const snapshots: Operation = async (memory) => {
    const data = await post<SnapshotsResult>("snapshots", SNAPSHOTS, { first: 10, hostId });
    for (const { node } of data?.snapshots.edges ?? []) remember(memory.snapshots, node.id, memory);
  };

  const diff: Operation = async () => {
    const recent = await post<SnapshotsResult>("snapshots", SNAPSHOTS, { first: 5, hostId });
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

  const hosts: Operation = async (memory) => {
    if (!fleet) {
      const data = await post<HostsResult>("hosts", HOSTS);
      if (data && data.hosts.edges.length !== 1) stats.inconsistent("hosts", `${data.hosts.edges.length} hosts, expected 1`);
      return;
    }
    // Page on through the fleet, ten hosts a request, from the start again at the end.
    const data = await post<HostsResult>("hosts page", HOSTS, { after: memory.hostsAfter });
    if (!data) return;
    memory.hostsAfter = data.hosts.pageInfo.hasNextPage ? data.hosts.pageInfo.endCursor : null;
    for (const { node } of data.hosts.edges) if (node.id !== fleet.localHostId && node.latestSnapshot) remember(memory.hosts, node.id, memory);
  };

  const history: Operation = async (memory, turn) => {
    const app = pick(memory.apps, turn);
    if (!app) return firstPage(memory, turn);
    const data = await post<AppHistoryResult>("appHistory", APP_HISTORY, { name: app.name, hostId });
    if (data && data.appHistory.length === 0) stats.inconsistent("appHistory", `no history for ${app.name}, which was listed`);
  };

  const otherHost: Operation = async (memory, turn) => {
    const other = pick(memory.hosts, turn);
    if (!other) return hosts(memory, turn);
    const data = await post<LatestDataResult>("latestData another host", LATEST_DATA, { first: PAGE, hostId: other });
    if (data && data.latestData.totalCount < data.latestData.edges.length) {
      stats.inconsistent("latestData another host", `totalCount ${data.latestData.totalCount} below ${data.latestData.edges.length} edges`);
    }
  };

  const softwareTerms = ["", "lib", "python", "Microsoft", "kernel", "no-such-title"];
  const software: Operation = async (memory, turn) => {
    const term = pick(softwareTerms, turn)!;
    const data = await post<SoftwareResult>("software", SOFTWARE, { first: 50, ...(term ? { filter: { nameContains: term } } : {}) });
    for (const { node } of data?.software.edges ?? []) {
      const versions = node.versions.reduce((sum, v) => sum + v.hostCount, 0);
      if (node.hostCount < 1 || versions < node.hostCount) {
        stats.inconsistent("software", `${node.name} on ${node.hostCount} hosts, its versions on ${versions}`);
        return;
      }
      remember(memory.titles, { name: node.name, source: node.source }, memory);
    }
  };

  const softwareHosts: Operation = async (memory, turn) => {
    const title = pick(memory.titles, turn);
    if (!title) return software(memory, turn);
    const data = await post<SoftwareHostsResult>("softwareHosts", SOFTWARE_HOSTS, title);
    // A title listed a moment ago can have left every host since; a page is never longer than its total.
    if (data && data.softwareHosts.edges.length > data.softwareHosts.totalCount) {
      stats.inconsistent("softwareHosts", `${data.softwareHosts.edges.length} hosts of totalCount ${data.softwareHosts.totalCount}`);
    }
  };

  // A walk is 20 requests; one per two rounds of the rest keeps it under half of the traffic.
  const round: Operation[] = [firstPage, node, filter, snapshots, diff, firstPage, node, hosts, filter, history, node, diff];
  const fleetRound: Operation[] = [hosts, otherHost, software, softwareHosts, otherHost, hosts];
  const mix: Operation[] = fleet ? [...round, ...fleetRound, walk, ...round, ...fleetRound] : [...round, walk, ...round];

  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      const memory: Memory = { apps: [], snapshots: [], hosts: [], titles: [], hostsAfter: null, added: 0 };
      // Loops start at different points of the mix so the server sees all of it at once.
      for (let turn = loop * 3; !signal.aborted; turn++) await mix[turn % mix.length]!(memory, turn);
    }),
  );
}
