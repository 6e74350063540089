import { useQuery } from "@urql/preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import type { HostRowFragment } from "../gql/graphql.js";
import { count, platformLabel } from "../format.js";
import { isRefusedInput, snapshotFailure } from "../errors.js";
import { HostPlatformsQuery, HostsQuery } from "../operations.js";
import { href, hostRoute, hostsRoute, type Route } from "../route.js";
import { Link, useRouter } from "../router.js";
import { Badge, ErrorBox, LoadMore, NAV_ROW, SearchInput, SkeletonRows, Time, useDebounced, useNow } from "../ui.js";

export const HOSTS_PAGE_SIZE = 25;

export function OnlineBadge({ host, now }: { host: Pick<HostRowFragment, "online" | "lastSeenAt" | "local">; now: number }) {
  if (host.online) return <Badge tone="ok">{host.local ? "this machine" : "online"}</Badge>;
  return (
    <span class="stack">
      <Badge tone="muted">offline</Badge>
      <small>
        seen <Time iso={host.lastSeenAt} now={now} />
      </small>
    </span>
  );
}

/** AGENT_QUERY_FAILED may wrap after its underscores (a phone's narrow column), not inside a word. */
function breakAfterUnderscores(code: string) {
  return code.split("_").flatMap((part, i) => (i === 0 ? [part] : ["_", <wbr key={i} />, part]));
}

export function SnapshotCell({ host, now }: { host: Pick<HostRowFragment, "latestSnapshot" | "inventoryRequested">; now: number }) {
  const snapshot = host.latestSnapshot;
  if (!snapshot) return <span class="muted">{host.inventoryRequested ? "requested…" : "none yet"}</span>;
  const failure = snapshotFailure(snapshot.error);
  return (
    <span class="stack">
      {snapshot.status === "SUCCEEDED" ? (
        <Badge tone="ok">succeeded</Badge>
      ) : (
        <Badge tone="bad" title={failure?.reason}>
          failed{failure?.code ? <>: {breakAfterUnderscores(failure.code)}</> : ""}
        </Badge>
      )}
      <small>
        <Time iso={snapshot.collectedAt} now={now} />
        {host.inventoryRequested ? " · collecting…" : ""}
      </small>
    </span>
  );
}

export function HostRowCells({ host, now }: { host: HostRowFragment; now: number }) {
  return (
    <>
      <td>
        <Link to={hostRoute(host.id)} class="strong">
          {host.hostname}
        </Link>
        {host.demo ? <Badge tone="info">demo</Badge> : null}
      </td>
      <td class="hide-narrow">{platformLabel(host.platform, host.osName, host.osVersion)}</td>
      <td class="hide-narrow">{host.osqueryVersion ?? <span class="muted">—</span>}</td>
      <td>
        <OnlineBadge host={host} now={now} />
      </td>
      <td class="num">{host.latestSucceededSnapshot ? host.latestSucceededSnapshot.appCount.toLocaleString() : <span class="muted">—</span>}</td>
      <td>
        <SnapshotCell host={host} now={now} />
      </td>
    </>
  );
}

function EmptyFleet() {
  return (
    <div class="empty">
      <h2>No hosts yet</h2>
      <p>
        This service lists its own machine once its local osqueryi has run (unless it runs with COLLECT_LOCAL=false), and every osquery agent that enrolls with it. To enroll
        machines, start the service with an enroll secret, then print the flagfile for osqueryd:
      </p>
      <pre>
        <code>{`ENROLL_SECRET="$(openssl rand -hex 24)" npm start\nnpm run flagfile   # same environment: prints --tls_hostname, --enroll_secret_path, …`}</code>
      </pre>
      <p>
        On each machine, copy the CA certificate and the secret where the flagfile says, save it as <code>/etc/osquery/osquery.flags</code> and
        restart <code>osqueryd</code>. A host appears here when it enrolls and its inventory follows at its first check-in. To try the
        console without osquery, run <code>npm run demo</code>.
      </p>
    </div>
  );
}

type Filter = { hostnameContains?: string; platform?: string };
type PageEnd = { hasNextPage: boolean; endCursor: string | null };

function HostRow({ host, now }: { host: HostRowFragment; now: number }) {
  return (
    <tr data-host-id={host.id} data-snapshot-id={host.latestSnapshot?.id} {...NAV_ROW}>
      <HostRowCells host={host} now={now} />
    </tr>
  );
}

/**
 * A page that infinite scroll appended after the route's own page. Hosts are ordered by id, which
 * snapshots never change: each page stays where it is as they land, and its rows update in place
 * through the cache.
 */
function MoreHosts({ filter, after, pageKey, now, onEnd }: { filter: Filter; after: string; pageKey: string; now: number; onEnd: (pageKey: string, end: PageEnd) => void }) {
  const [{ data, error }] = useQuery({ query: HostsQuery, variables: { first: HOSTS_PAGE_SIZE, after, filter } });
  const page = data?.hosts;
  useEffect(() => {
    if (page) onEnd(pageKey, { hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor ?? null });
  }, [page?.pageInfo.hasNextPage, page?.pageInfo.endCursor]);
  return (
    <tbody>
      {!page && !error ? <SkeletonRows rows={3} columns={6} /> : null}
      {error && !page ? (
        <tr>
          <td colSpan={6}>
            <ErrorBox error={error} />
          </td>
        </tr>
      ) : null}
      {page?.edges.map(({ node }) => <HostRow key={node.id} host={node} now={now} />)}
    </tbody>
  );
}

export function HostsPage({ route }: { route: Extract<Route, { page: "hosts" }> }) {
  const { navigate } = useRouter();
  const now = useNow();
  const [hostname, setHostname] = useState(route.hostname);
  useEffect(() => setHostname(route.hostname), [route.hostname]);
  const settled = useDebounced(hostname, 250);
  useEffect(() => {
    if (settled !== route.hostname) navigate(hostsRoute({ hostname: settled, platform: route.platform }), { replace: true });
  }, [settled]);

  const filter: Filter = { ...(route.hostname ? { hostnameContains: route.hostname } : {}), ...(route.platform ? { platform: route.platform } : {}) };
  const paging = route.before ? { last: HOSTS_PAGE_SIZE, before: route.before } : { first: HOSTS_PAGE_SIZE, after: route.after };
  const [{ data, error, fetching }] = useQuery({ query: HostsQuery, variables: { ...paging, filter } });
  const [platforms] = useQuery({ query: HostPlatformsQuery });
  const hosts = data?.hosts;
  const filtered = Boolean(route.hostname || route.platform);

  // Pages appended by scrolling (the cursor each starts after), and where each ended. They belong to
  // the route they were scrolled on: another route starts with none, in the same render.
  const routeKey = href(route);
  const [appended, setAppended] = useState<{ route: string; cursors: string[] }>({ route: routeKey, cursors: [] });
  const more = appended.route === routeKey ? appended.cursors : [];
  const [ends, setEnds] = useState<Record<string, PageEnd>>({});
  const onEnd = useCallback((pageKey: string, end: PageEnd) => setEnds((known) => ({ ...known, [pageKey]: end })), []);
  const pageKey = (after: string) => `${routeKey}\u0000${after}`;
  const first: PageEnd | null = hosts ? { hasNextPage: route.before !== null || hosts.pageInfo.hasNextPage, endCursor: hosts.pageInfo.endCursor ?? null } : null;
  const lastAfter = more.at(-1);
  const last = lastAfter === undefined ? first : (ends[pageKey(lastAfter)] ?? null);
  const loadingMore = lastAfter !== undefined && !ends[pageKey(lastAfter)];
  const appendNext = () => {
    const cursor = last?.hasNextPage ? last.endCursor : null;
    if (cursor && !loadingMore && !more.includes(cursor)) setAppended({ route: routeKey, cursors: [...more, cursor] });
  };

  const previous = hosts && (route.after !== null || (route.before !== null && hosts.pageInfo.hasPreviousPage));
  const next = Boolean(last?.hasNextPage && last.endCursor);
  const platformChoices = platforms.data?.hostPlatforms ?? [];
  const listed = new Set(platformChoices.map((p) => p.platform));

  return (
    <section>
      <header class="page-head">
        <h1>Hosts</h1>
        <p class="muted">{hosts ? `${count(hosts.totalCount, "host")}${filtered ? (hosts.totalCount === 1 ? " matches" : " match") : ""}` : "\u00a0"}</p>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <SearchInput name="hostname" label="Hostname" placeholder="part of a hostname (press /)" value={hostname} onInput={setHostname} />
        <label class="field">
          <span>Platform</span>
          <select name="platform" value={route.platform} onChange={(e) => navigate(hostsRoute({ hostname: route.hostname, platform: e.currentTarget.value }))}>
            <option value="">all</option>
            {platformChoices.map((p) => (
              <option key={p.platform} value={p.platform}>
                {p.platform} ({p.hostCount.toLocaleString()})
              </option>
            ))}
            {route.platform && !listed.has(route.platform) ? <option value={route.platform}>{route.platform}</option> : null}
          </select>
        </label>
      </form>
      {/* Above the table: scrolling down to the end appends the next page instead. */}
      {hosts && hosts.totalCount > 0 ? (
        <nav class="pager top" aria-label="Pages of hosts">
          <button type="button" disabled={!previous} onClick={() => navigate(hostsRoute({ hostname: route.hostname, platform: route.platform, before: hosts.pageInfo.startCursor ?? null }))}>
            ← Previous
          </button>
          <button type="button" disabled={!next} onClick={() => navigate(hostsRoute({ hostname: route.hostname, platform: route.platform, after: last?.endCursor ?? null }))}>
            Next →
          </button>
        </nav>
      ) : null}
      {error && !hosts ? (
        <ErrorBox error={error}>
          {isRefusedInput(error) && (route.after || route.before) ? (
            <p>
              The page position in this address is not one the API gave out. <Link to={hostsRoute({ hostname: route.hostname, platform: route.platform })}>Go to the first page</Link>
            </p>
          ) : null}
        </ErrorBox>
      ) : null}
      {error && !hosts ? null : hosts && hosts.totalCount === 0 && !filtered ? (
        <EmptyFleet />
      ) : (
        <div class="table-wrap">
          <table class="hosts" aria-busy={fetching || loadingMore}>
            <thead>
              <tr>
                <th>Hostname</th>
                <th class="hide-narrow">Platform and OS</th>
                <th class="hide-narrow">osquery</th>
                <th>Online</th>
                <th class="num">Apps</th>
                <th>Newest snapshot</th>
              </tr>
            </thead>
            <tbody>
              {!hosts && !error ? <SkeletonRows rows={8} columns={6} /> : null}
              {hosts?.edges.map(({ node }) => <HostRow key={node.id} host={node} now={now} />)}
              {hosts && hosts.edges.length === 0 ? (
                <tr>
                  <td colSpan={6} class="empty-row">
                    No host matches this filter. <Link to={hostsRoute()}>Show all hosts</Link>
                  </td>
                </tr>
              ) : null}
            </tbody>
            {more.map((after) => (
              <MoreHosts key={after} filter={filter} after={after} pageKey={pageKey(after)} now={now} onEnd={onEnd} />
            ))}
          </table>
        </div>
      )}
      {hosts && next ? <LoadMore busy={loadingMore} label="More hosts" onVisible={appendNext} /> : null}
    </section>
  );
}
