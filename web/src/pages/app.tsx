import { useQuery } from "@urql/preact";
import { exactTime } from "../format.js";
import { AppHistoryQuery } from "../operations.js";
import { hostRoute, titleRoute, type Route } from "../route.js";
import { Link } from "../router.js";
import { Badge, ErrorBox, SkeletonRows, Time, useNow } from "../ui.js";

/** One app on one host across its versions: when each came and went, and the snapshots that saw it. */
export function AppPage({ route }: { route: Extract<Route, { page: "app" }> }) {
  const now = useNow();
  const [{ data, error }] = useQuery({ query: AppHistoryQuery, variables: { hostId: route.hostId, name: route.name, ...(route.source ? { source: route.source } : {}) } });
  if (error && !data) return <ErrorBox error={error} />;
  // Newest first, as the timeline.
  const versions = data ? [...data.appHistory].reverse() : null;
  return (
    <section>
      <header class="page-head">
        <p class="crumbs">
          <Link to="/">Hosts</Link> / <Link to={hostRoute(route.hostId)}>{data?.host?.hostname ?? "host"}</Link> /
        </p>
        <h1>{route.name}</h1>
        <p class="muted">
          {route.source || "any source"} · <Link to={titleRoute(route.name, route.source)}>on other hosts</Link>
        </p>
      </header>
      <h2>Versions on this host</h2>
      <div class="table-wrap">
        <table class="app-history">
          <thead>
            <tr>
              <th>Version</th>
              <th>Installed</th>
              <th>Removed</th>
              <th class="hide-narrow">Path</th>
            </tr>
          </thead>
          <tbody>
            {!versions ? <SkeletonRows rows={3} columns={4} /> : null}
            {versions?.map((v, i) => (
              <tr key={i}>
                <td>{v.version ?? <span class="muted">—</span>}</td>
                <td>
                  {v.firstSeenSnapshot ? (
                    <Link to={{ page: "snapshot", hostId: route.hostId, id: v.firstSeenSnapshot.id, against: null }}>
                      <Time iso={v.firstSeenAt} now={now} />
                    </Link>
                  ) : (
                    <span title="that snapshot was deleted by retention">{exactTime(v.firstSeenAt)}</span>
                  )}
                </td>
                <td>
                  {v.removedAt === null || v.removedAt === undefined ? (
                    <Badge tone="ok">installed</Badge>
                  ) : v.removedSnapshot ? (
                    <Link to={{ page: "snapshot", hostId: route.hostId, id: v.removedSnapshot.id, against: null }}>
                      <Time iso={v.removedAt} now={now} />
                    </Link>
                  ) : (
                    <Time iso={v.removedAt} now={now} />
                  )}
                </td>
                <td class="hide-narrow">{v.path ?? <span class="muted">—</span>}</td>
              </tr>
            ))}
            {versions && versions.length === 0 ? (
              <tr>
                <td colSpan={4} class="empty-row">
                  This host has had no app of this name within retention.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </section>
  );
}
