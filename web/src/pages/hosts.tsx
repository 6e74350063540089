import { useQuery } from "@urql/preact";
import { useEffect, useState } from "preact/hooks";
import type { HostRowFragment } from "../gql/graphql.js";
import { count, platformLabel } from "../format.js";
import { snapshotFailure } from "../errors.js";
import { HostsQuery } from "../operations.js";
import { hostsRoute, type Route } from "../route.js";
import { Link, useRouter } from "../router.js";
import { Badge, ErrorBox, SearchInput, SkeletonRows, Time, useDebounced, useNow } from "../ui.js";

export const HOSTS_PAGE_SIZE = 25;
const PLATFORMS = ["darwin", "ubuntu", "debian", "rhel", "centos", "fedora", "amzn", "windows", "freebsd"];

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
          failed{failure?.code ? `: ${failure.code}` : ""}
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
        <Link to={{ page: "host", id: host.id, apps: "" }} class="strong">
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
        This service lists its own machine once its local osqueryi has run, and every osquery agent that enrolls with it. To enroll
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

export function HostsPage({ route }: { route: Extract<Route, { page: "hosts" }> }) {
  const { navigate } = useRouter();
  const now = useNow();
  const [hostname, setHostname] = useState(route.hostname);
  useEffect(() => setHostname(route.hostname), [route.hostname]);
  const settled = useDebounced(hostname, 250);
  useEffect(() => {
    if (settled !== route.hostname) navigate(hostsRoute({ hostname: settled, platform: route.platform }), { replace: true });
  }, [settled]);

  const filter = { ...(route.hostname ? { hostnameContains: route.hostname } : {}), ...(route.platform ? { platform: route.platform } : {}) };
  const paging = route.before ? { last: HOSTS_PAGE_SIZE, before: route.before } : { first: HOSTS_PAGE_SIZE, after: route.after };
  const [{ data, error, fetching }] = useQuery({ query: HostsQuery, variables: { ...paging, filter } });
  const hosts = data?.hosts;
  const filtered = Boolean(route.hostname || route.platform);

  const previous = hosts && (route.after !== null || (route.before !== null && hosts.pageInfo.hasPreviousPage));
  const next = hosts && (route.before !== null || hosts.pageInfo.hasNextPage);

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
            {[...new Set([...PLATFORMS, ...(route.platform ? [route.platform] : [])])].map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error && !hosts ? <ErrorBox error={error} /> : null}
      {error && !hosts ? null : hosts && hosts.totalCount === 0 && !filtered ? (
        <EmptyFleet />
      ) : (
        <div class="table-wrap">
          <table class="hosts" aria-busy={fetching}>
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
              {hosts?.edges.map(({ node }) => (
                <tr key={node.id} data-host-id={node.id} data-snapshot-id={node.latestSnapshot?.id}>
                  <HostRowCells host={node} now={now} />
                </tr>
              ))}
              {hosts && hosts.edges.length === 0 ? (
                <tr>
                  <td colSpan={6} class="empty-row">
                    No host matches this filter. <Link to={hostsRoute()}>Show all hosts</Link>
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      )}
      {hosts && hosts.totalCount > 0 ? (
        <nav class="pager" aria-label="Pages of hosts">
          <button type="button" disabled={!previous} onClick={() => navigate(hostsRoute({ hostname: route.hostname, platform: route.platform, before: hosts.pageInfo.startCursor ?? null }))}>
            ← Previous
          </button>
          <button type="button" disabled={!next} onClick={() => navigate(hostsRoute({ hostname: route.hostname, platform: route.platform, after: hosts.pageInfo.endCursor ?? null }))}>
            Next →
          </button>
        </nav>
      ) : null}
    </section>
  );
}
