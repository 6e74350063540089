import { useMutation, useQuery } from "@urql/preact";
import { Component } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { AppOrder, ConsoleAppsQuery } from "../gql/graphql.js";
import { codeOf, describeError, isRefusedInput, snapshotFailure } from "../errors.js";
import { count, formatBytes, platformLabel, versionPieces } from "../format.js";
import { AppsQuery, CollectMutation, HostQuery } from "../operations.js";
import { ariaSortOf, toggledAppOrder, type Route } from "../route.js";
import { Link, useRouter } from "../router.js";
import { useSnapshotPages } from "../snapshot-pages.js";
import { Badge, ChangeCounts, type ChangeCountsValue, ErrorBox, LoadMore, NAV_ROW, SearchInput, SkeletonBlock, Time, useDebounced, useNow } from "../ui.js";
import { OnlineBadge } from "./hosts.js";

const APPS_PAGE_SIZE = 100;
const SNAPSHOTS_PAGE_SIZE = 20;

type CollectState =
  | { state: "idle" }
  | { state: "running"; startedAt: number }
  | { state: "done"; status: "SUCCEEDED" | "FAILED"; appCount: number; counts: ChangeCountsValue; error: string | null; snapshotId: string }
  | { state: "error"; message: string; pending: boolean };

function CollectNow({ hostId, local }: { hostId: string; local: boolean }) {
  const [, collect] = useMutation(CollectMutation);
  const [state, setState] = useState<CollectState>({ state: "idle" });
  const now = useNow(1000);
  const run = async () => {
    setState({ state: "running", startedAt: Date.now() });
    const result = await collect({ hostId });
    const snapshot = result.data?.collectSnapshot;
    if (snapshot) {
      setState({ state: "done", status: snapshot.status, appCount: snapshot.appCount, counts: snapshot.changes.counts, error: snapshot.error ?? null, snapshotId: snapshot.id });
    } else if (result.error) {
      setState({ state: "error", message: describeError(result.error), pending: codeOf(result.error) === "COLLECTION_PENDING" });
    }
  };
  return (
    <div class="collect" aria-live="polite">
      <button type="button" class="primary" disabled={state.state === "running"} onClick={() => void run()}>
        {state.state === "running" ? "Collecting…" : "Collect now"}
      </button>
      {state.state === "running" ? (
        <span class="progress">
          <span class="spinner" aria-hidden="true" />
          {local ? "osqueryi is running on this machine" : "waiting for the agent's next check-in"} · {Math.max(0, Math.round((now - state.startedAt) / 1000))} s
        </span>
      ) : null}
      {state.state === "done" && state.status === "SUCCEEDED" ? (
        <span class="result ok">
          Collected {count(state.appCount, "app")}: <ChangeCounts counts={state.counts} />.{" "}
          <Link to={{ page: "snapshot", hostId, id: state.snapshotId, against: null }}>See the changes</Link>
        </span>
      ) : null}
      {state.state === "done" && state.status === "FAILED" ? <span class="result bad">The collection failed: {snapshotFailure(state.error)?.reason ?? "no reason given"}</span> : null}
      {state.state === "error" ? <span class={`result ${state.pending ? "warn" : "bad"}`}>{state.message}</span> : null}
    </div>
  );
}

type AppEdge = NonNullable<ConsoleAppsQuery["latestData"]>["edges"][number];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One page of apps. A host can list thousands: each page is a block the browser skips laying out
 * and painting while it is off screen (content-visibility), and that Preact skips re-rendering
 * when a later page arrives (memo on the page's first and last app).
 */
class AppChunk extends Component<{ hostId: string; edges: AppEdge[] }> {
  override shouldComponentUpdate({ hostId, edges }: { hostId: string; edges: AppEdge[] }): boolean {
    const old = this.props.edges;
    return hostId !== this.props.hostId || edges.length !== old.length || edges[0]?.node.id !== old[0]?.node.id || edges.at(-1)?.node.id !== old.at(-1)?.node.id;
  }

  override render() {
    return (
      <div class="grid-chunk" role="rowgroup">
        {this.props.edges.map(({ node }) => (
          <div class="grid-row app-row" role="row" key={node.id} {...NAV_ROW}>
            <span role="cell" class="app-name">
              <Link to={{ page: "app", hostId: this.props.hostId, name: node.name, source: node.source }}>{node.name}</Link>
              {node.path ? <small class="path">{node.path}</small> : null}
            </span>
            <span role="cell">{node.version ? <BreakableVersion version={node.version} /> : <span class="muted">—</span>}</span>
            <span role="cell" class="hide-narrow app-source">
              {node.source}
            </span>
            <span role="cell" class="hide-narrow" title={node.publisher ?? undefined}>
              {node.publisher ? <span class="clamp-2">{node.publisher}</span> : <span class="muted">—</span>}
            </span>
          </div>
        ))}
      </div>
    );
  }
}

function BreakableVersion({ version }: { version: string }) {
  return (
    <>
      {versionPieces(version).map((piece, i) => (i === 0 ? piece : [<wbr key={i} />, piece]))}
    </>
  );
}

function SkeletonGridRows({ rows }: { rows: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        <div key={r} class="grid-row skeleton-row" aria-hidden="true">
          {[0, 1, 2, 3].map((c) => (
            <span key={c} class={c > 1 ? "hide-narrow" : undefined}>
              <span class="skeleton" />
            </span>
          ))}
        </div>
      ))}
    </>
  );
}

/** The Name column's header: a button that turns the order round, the order itself in aria-sort. */
function NameHeader({ order, onSort }: { order: AppOrder; onSort: (order: AppOrder) => void }) {
  const next = toggledAppOrder(order);
  return (
    <span role="columnheader" aria-sort={ariaSortOf(order)}>
      <button type="button" class="sort" title={next === "NAME_ASC" ? "Sort A to Z" : "Sort Z to A"} onClick={() => onSort(next)}>
        Name <span class="sort-dir">{order === "NAME_ASC" ? "A→Z" : "Z→A"}</span>
      </button>
    </span>
  );
}

function Apps({
  hostId,
  filter,
  order,
  onSort,
  newestSnapshotId,
  lastFailed,
  hold,
}: {
  hostId: string;
  filter: string;
  order: AppOrder;
  onSort: (order: AppOrder) => void;
  newestSnapshotId: string | null;
  lastFailed: boolean;
  /** Set by a jump past the apps: see LoadMore. */
  hold: { current: boolean };
}) {
  // The cursor belongs to the host, filter and order it was read with: any other list starts at its
  // first page in the same render (a cursor of one order is refused in the other).
  const scope = [hostId, filter, order].join("\0");
  const [paging, setPaging] = useState<{ scope: string; after: string | null }>({ scope, after: null });
  const after = paging.scope === scope ? paging.after : null;
  const setAfter = (cursor: string | null) => setPaging({ scope, after: cursor });
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: AppsQuery,
    variables: { hostId, first: APPS_PAGE_SIZE, after, orderBy: order, ...(filter ? { filter: { nameContains: filter } } : {}) },
  });
  const apps = data?.latestData;
  const stale = apps?.snapshot && newestSnapshotId && apps.snapshot.id !== newestSnapshotId;
  return (
    <>
      {stale ? (
        <p class="notice">
          A newer inventory has arrived.{" "}
          <button
            type="button"
            class="link"
            onClick={() => {
              setAfter(null);
              reexecute({ requestPolicy: "network-only" });
            }}
          >
            Show it
          </button>
        </p>
      ) : null}
      {error && !apps ? <ErrorBox error={error} /> : null}
      <p class="muted">
        {apps ? (
          <>
            {count(apps.totalCount, "app")}
            {filter ? ` ${apps.totalCount === 1 ? "matches" : "match"} “${filter}”` : ""}
            {apps.snapshot ? (
              <>
                {" "}
                in the inventory of <Time iso={apps.snapshot.collectedAt} now={Date.now()} />
              </>
            ) : null}
          </>
        ) : (
          "\u00a0"
        )}
      </p>
      <div class="table-wrap">
        <div class="apps grid-table" role="table" aria-label="Apps">
          <div class="grid-row grid-head" role="row">
            <NameHeader order={order} onSort={onSort} />
            <span role="columnheader">Version</span>
            <span role="columnheader" class="hide-narrow">Source</span>
            <span role="columnheader" class="hide-narrow">Publisher</span>
          </div>
          {!apps && !error ? <SkeletonGridRows rows={6} /> : null}
          {apps ? chunks(apps.edges, APPS_PAGE_SIZE).map((chunk) => <AppChunk key={chunk[0]!.node.id} hostId={hostId} edges={chunk} />) : null}
          {apps && apps.edges.length === 0 ? (
            <div class="grid-row empty-row" role="row">
              <span role="cell">
                {filter
                  ? "No app matches this filter."
                  : apps.snapshot
                    ? "This inventory lists no apps."
                    : lastFailed
                      ? "No inventory yet: the last collection failed (its reason is under Snapshots)."
                      : "No inventory yet: collect one with “Collect now”."}
              </span>
            </div>
          ) : null}
        </div>
      </div>
      {apps?.pageInfo.hasNextPage ? <LoadMore busy={fetching} label="More apps" hold={hold} onVisible={() => !fetching && setAfter(apps.pageInfo.endCursor ?? null)} /> : null}
    </>
  );
}

function Timeline({ hostId }: { hostId: string }) {
  const now = useNow();
  const snapshots = useSnapshotPages(hostId, SNAPSHOTS_PAGE_SIZE);
  if (snapshots.first.error && snapshots.hasNextPage === null) return <ErrorBox error={snapshots.first.error} />;
  if (snapshots.hasNextPage === null) return <SkeletonBlock lines={4} />;
  if (snapshots.edges.length === 0) return <p class="muted">No snapshots yet.</p>;
  return (
    <>
      <ol class="timeline">
        {snapshots.edges.map(({ node }) => {
          const failure = snapshotFailure(node.error);
          return (
            <li key={node.id} class={node.status === "FAILED" ? "failed" : ""} {...NAV_ROW}>
              <Link to={{ page: "snapshot", hostId, id: node.id, against: null }}>
                <Time iso={node.collectedAt} now={now} />
              </Link>{" "}
              {node.status === "SUCCEEDED" ? (
                <>
                  <ChangeCounts counts={node.changes.counts} />
                  <span class="muted"> · {count(node.appCount, "app")}</span>
                </>
              ) : (
                <Badge tone="bad" title={failure?.reason}>
                  failed{failure?.code ? `: ${failure.code}` : ""}
                </Badge>
              )}
              <small class="muted"> {node.source === "AGENT" ? "agent" : "osqueryi"}</small>
              {failure ? <div class="reason">{failure.reason}</div> : null}
            </li>
          );
        })}
      </ol>
      {snapshots.olderError ? <ErrorBox error={snapshots.olderError} /> : null}
      {snapshots.hasNextPage ? <LoadMore auto={false} busy={snapshots.loadingOlder} label="Older snapshots" onVisible={snapshots.loadOlder} /> : null}
    </>
  );
}

/**
 * On a narrow screen the columns stack, and the apps list grows as it is scrolled: without these,
 * the snapshots and agent errors below it are out of reach on a host with thousands of apps.
 */
function JumpLinks({ onPastApps }: { onPastApps: () => void }) {
  const jump = (id: string) => (event: MouseEvent) => {
    event.preventDefault();
    if (id !== "apps") onPastApps();
    document.getElementById(id)?.scrollIntoView();
  };
  return (
    <nav class="jump" aria-label="On this page">
      <a href="#apps" onClick={jump("apps")}>
        Apps
      </a>
      <a href="#snapshots" onClick={jump("snapshots")}>
        Snapshots
      </a>
      <a href="#agent-errors" onClick={jump("agent-errors")}>
        Agent errors
      </a>
    </nav>
  );
}

export function HostPage({ route }: { route: Extract<Route, { page: "host" }> }) {
  const { navigate } = useRouter();
  const now = useNow();
  const [{ data, error }] = useQuery({ query: HostQuery, variables: { id: route.id } });
  const [filter, setFilter] = useState(route.apps);
  useEffect(() => setFilter(route.apps), [route.apps]);
  const settled = useDebounced(filter, 200);
  const appsHold = useRef(false);
  useEffect(() => {
    if (settled !== route.apps) navigate({ ...route, apps: settled }, { replace: true });
  }, [settled]);

  // An ID that is no host's (a mistyped or truncated link) is refused by the API: it is as missing.
  const refused = error !== undefined && isRefusedInput(error);
  if (error && !data && !refused) return <ErrorBox error={error} />;
  if ((data || refused) && !data?.host) {
    return (
      <div class="empty">
        <h1>No such host</h1>
        <p>
          There is no host with the ID <code>{route.id}</code>. <Link to="/">Back to the hosts</Link>
        </p>
      </div>
    );
  }
  const host = data?.host;
  return (
    <section>
      <header class="page-head">
        <p class="crumbs">
          <Link to="/">Hosts</Link> /
        </p>
        <h1>{host?.hostname ?? <span class="skeleton wide" />}</h1>
        {host ? (
          <p class="badges">
            <OnlineBadge host={host} now={now} />
            {host.demo ? <Badge tone="info">demo (simulated)</Badge> : null}
            {host.enrolled ? <Badge tone="info">agent enrolled</Badge> : null}
          </p>
        ) : null}
      </header>
      {host ? (
        <>
          <dl class="details">
            <dt>Platform and OS</dt>
            <dd>{platformLabel(host.platform, host.osName, host.osVersion)}</dd>
            <dt>osquery</dt>
            <dd>{host.osqueryVersion ?? "—"}</dd>
            <dt>Hardware</dt>
            <dd>{[host.hardwareVendor, host.hardwareModel].filter(Boolean).join(" ") || "—"}</dd>
            <dt>CPU</dt>
            <dd>{host.cpuBrand ?? "—"}</dd>
            <dt>Memory</dt>
            <dd>{formatBytes(host.physicalMemory)}</dd>
            <dt>Serial</dt>
            <dd>{host.hardwareSerial ?? "—"}</dd>
            <dt>Last seen</dt>
            <dd>{host.local ? "this machine" : <Time iso={host.lastSeenAt} now={now} />}</dd>
            <dt>Enrolled</dt>
            <dd>{host.enrolledAt ? <Time iso={host.enrolledAt} now={now} /> : "—"}</dd>
          </dl>
          <CollectNow hostId={host.id} local={host.local} />
          <JumpLinks onPastApps={() => (appsHold.current = true)} />
        </>
      ) : (
        <SkeletonBlock lines={4} />
      )}
      <div class="columns">
        <section class="main-col">
          <h2 id="apps">Apps</h2>
          <SearchInput name="apps" label="Filter apps" placeholder="part of a name (press /)" value={filter} onInput={setFilter} />
          <Apps
            hostId={route.id}
            filter={route.apps}
            order={route.order}
            onSort={(order) => navigate({ ...route, order }, { replace: true })}
            newestSnapshotId={host?.latestSucceededSnapshot?.id ?? null}
            lastFailed={host?.latestSnapshot?.status === "FAILED"}
            hold={appsHold}
          />
        </section>
        <aside class="side-col">
          <h2 id="snapshots">Snapshots</h2>
          <Timeline hostId={route.id} />
          <h2 id="agent-errors">Agent errors</h2>
          {host ? (
            host.agentErrors.length === 0 ? (
              <p class="muted">{host.enrolled ? "The agent has logged no warnings or errors." : "No agent: this host is inventoried by the service's osqueryi."}</p>
            ) : (
              <ul class="agent-errors">
                {host.agentErrors.map((e, i) => (
                  <li key={i}>
                    <Badge tone={e.severity === "ERROR" ? "bad" : "warn"}>{e.severity.toLowerCase()}</Badge> <Time iso={e.loggedAt} now={now} />
                    <div class="message">{e.message}</div>
                    {e.filename ? (
                      <small class="muted">
                        {e.filename}:{e.line}
                      </small>
                    ) : null}
                  </li>
                ))}
              </ul>
            )
          ) : (
            <SkeletonBlock lines={2} />
          )}
        </aside>
      </div>
    </section>
  );
}
