import { useQuery } from "@urql/preact";
import { isRefusedInput } from "../errors.js";
import { useEffect, useState } from "preact/hooks";
import { changeVersions, count, platformLabel } from "../format.js";
import type { ConsoleSoftwareTitleFragment } from "../gql/graphql.js";
import { SoftwareChangesQuery, SoftwareHostsQuery, SoftwareQuery, SoftwareTitlesQuery } from "../operations.js";
import { CHANGE_DAYS, DEFAULT_CHANGE_DAYS, hostRoute, titleRoute, type Route } from "../route.js";
import { Link, useRouter } from "../router.js";
import { ChangeKindBadge, ErrorBox, LoadMore, NAV_ROW, SearchInput, SkeletonBlock, SkeletonRows, Time, useDebounced, useNow } from "../ui.js";
import { HostRowCells } from "./hosts.js";

const TITLES_PAGE_SIZE = 50;

export function SoftwarePage({ route }: { route: Extract<Route, { page: "software" }> }) {
  const { navigate } = useRouter();
  const [name, setName] = useState(route.name);
  useEffect(() => setName(route.name), [route.name]);
  const settled = useDebounced(name, 250);
  useEffect(() => {
    if (settled !== route.name) navigate({ page: "software", name: settled, after: null, before: null }, { replace: true });
  }, [settled]);
  const paging = route.before ? { last: TITLES_PAGE_SIZE, before: route.before } : { first: TITLES_PAGE_SIZE, after: route.after };
  const [{ data, error, fetching }] = useQuery({ query: SoftwareQuery, variables: { ...paging, ...(route.name ? { filter: { nameContains: route.name } } : {}) } });
  const software = data?.software;
  const previous = software && (route.after !== null || (route.before !== null && software.pageInfo.hasPreviousPage));
  const next = software && (route.before !== null || software.pageInfo.hasNextPage);
  return (
    <section>
      <header class="page-head">
        <h1>Software</h1>
        <p class="muted">{software ? `${count(software.totalCount, "title")} across the fleet${route.name ? ` ${software.totalCount === 1 ? "matches" : "match"} “${route.name}”` : ""}` : "\u00a0"}</p>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <SearchInput name="name" label="Name" placeholder="part of a name (press /)" value={name} onInput={setName} />
      </form>
      {error && !software ? (
        <ErrorBox error={error}>
          {isRefusedInput(error) && (route.after || route.before) ? (
            <p>
              The page position in this address is not one the API gave out.{" "}
              <Link to={{ page: "software", name: route.name, after: null, before: null }}>Go to the first page</Link>
            </p>
          ) : null}
        </ErrorBox>
      ) : null}
      <div class="table-wrap" hidden={Boolean(error && !software)}>
        <table class="software" aria-busy={fetching}>
          <thead>
            <tr>
              <th>Name</th>
              <th class="hide-narrow">Source</th>
              <th class="num">Hosts</th>
              <th class="num">Versions</th>
            </tr>
          </thead>
          <tbody>
            {!software && !error ? <SkeletonRows rows={8} columns={4} /> : null}
            {software?.edges.map(({ node }) => (
              <tr key={`${node.source}\u0000${node.name}`} {...NAV_ROW}>
                <td>
                  <Link to={titleRoute(node.name, node.source)} class="strong">
                    {node.name}
                  </Link>
                </td>
                <td class="hide-narrow">{node.source}</td>
                <td class="num">{node.hostCount.toLocaleString()}</td>
                <td class="num">{node.versions.length.toLocaleString()}</td>
              </tr>
            ))}
            {software && software.edges.length === 0 ? (
              <tr>
                <td colSpan={4} class="empty-row">
                  {route.name ? "No software matches this name." : "No inventory yet: software appears once a host has reported."}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {software && software.totalCount > 0 ? (
        <nav class="pager" aria-label="Pages of software">
          <button type="button" disabled={!previous} onClick={() => navigate({ page: "software", name: route.name, after: null, before: software.pageInfo.startCursor ?? null })}>
            ← Previous
          </button>
          <button type="button" disabled={!next} onClick={() => navigate({ page: "software", name: route.name, after: software.pageInfo.endCursor ?? null, before: null })}>
            Next →
          </button>
        </nav>
      ) : null}
    </section>
  );
}

type TitleRoute = Extract<Route, { page: "title" }>;

type Version = ConsoleSoftwareTitleFragment["versions"][number];

/** Chips that narrow the hosts below to one version, after an "all versions" chip when `all` (its host count) is given. */
function VersionChips({ route, label, versions, all }: { route: TitleRoute; label: string; versions: readonly Version[]; all?: number }) {
  const { navigate } = useRouter();
  return (
    <ul class="versions" role="list" aria-label={label}>
      {all !== undefined ? (
        <li>
          <button
            type="button"
            class={route.version === null && route.days === null ? "chip active" : "chip"}
            aria-pressed={route.version === null && route.days === null}
            onClick={() => navigate({ ...route, version: null, days: null })}
          >
            all versions <span class="muted">{all}</span>
          </button>
        </li>
      ) : null}
      {versions.map((v) => (
        <li key={String(v.version)}>
          <button
            type="button"
            class={route.version === (v.version ?? "") && route.days === null ? "chip active" : "chip"}
            aria-pressed={route.version === (v.version ?? "") && route.days === null}
            disabled={v.version == null}
            title={v.version == null ? "hosts without a version cannot be listed by version" : undefined}
            onClick={() => navigate({ ...route, version: v.version ?? "", days: null })}
          >
            {v.version ?? "no version"} <span class="muted">{v.hostCount}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

export function TitlePage({ route }: { route: TitleRoute }) {
  const now = useNow();
  // Without a source, every source's title of the name: the hosts and changes below span them all.
  const [{ data, error }] = useQuery({ query: SoftwareTitlesQuery, variables: { name: route.name, ...(route.source ? { source: route.source } : {}) } });
  const titles = data?.softwareTitles;
  const only = titles?.length === 1 ? titles[0] : undefined;
  return (
    <section>
      <header class="page-head">
        <p class="crumbs">
          <Link to={{ page: "software", name: "", after: null, before: null }}>Software</Link> /
        </p>
        <h1>{route.name}</h1>
        <p class="muted">
          {route.source || "any source"}
          {only ? ` · on ${count(only.hostCount, "host")}` : ""}
          {titles && titles.length > 1 ? ` · ${titles.map((t) => `${t.source} on ${count(t.hostCount, "host")}`).join(", ")}` : ""}
        </p>
      </header>
      <h2>Versions</h2>
      {error && !titles ? <ErrorBox error={error} /> : null}
      {!titles && !error ? <SkeletonBlock lines={2} /> : null}
      {titles?.length === 0 ? <p class="muted">No host has this software in its newest inventory.</p> : null}
      {only ? <VersionChips route={route} label="Versions" versions={only.versions} all={only.hostCount} /> : null}
      {titles && titles.length > 1 ? (
        <>
          {/* A host reports one software table, so no host is counted under two sources. */}
          <VersionChips route={route} label="Every source" versions={[]} all={titles.reduce((n, t) => n + t.hostCount, 0)} />
          {titles.map((title) => (
            <div key={title.source} class="title-source">
              <h3>
                <Link to={titleRoute(route.name, title.source)}>{title.source}</Link> <span class="muted">on {count(title.hostCount, "host")}</span>
              </h3>
              <VersionChips route={route} label={`Versions from ${title.source}`} versions={title.versions} />
            </div>
          ))}
        </>
      ) : null}
      <nav class="tabs" aria-label="Views of this software">
        <Link to={{ ...route, days: null }} aria-current={route.days === null ? "page" : undefined}>
          Hosts{route.version !== null ? ` with version ${route.version}` : ""}
        </Link>
        <Link to={{ ...route, days: DEFAULT_CHANGE_DAYS }} aria-current={route.days !== null ? "page" : undefined}>
          Changes
        </Link>
      </nav>
      {route.days === null ? <TitleHosts route={route} now={now} /> : <TitleChanges route={route} days={route.days} now={now} />}
    </section>
  );
}

function TitleHosts({ route, now }: { route: Extract<Route, { page: "title" }>; now: number }) {
  const [after, setAfter] = useState<string | null>(null);
  useEffect(() => setAfter(null), [route.name, route.source, route.version]);
  const [hosts] = useQuery({
    query: SoftwareHostsQuery,
    variables: { name: route.name, first: 50, after, ...(route.source ? { source: route.source } : {}), ...(route.version !== null ? { version: route.version } : {}) },
  });
  const connection = hosts.data?.softwareHosts;
  return (
    <>
      <h2 class="visually-hidden">Hosts{route.version !== null ? ` with version ${route.version}` : ""}</h2>
      {hosts.error && !connection ? <ErrorBox error={hosts.error} /> : null}
      <div class="table-wrap">
        <table class="hosts">
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
            {!connection && !hosts.error ? <SkeletonRows rows={4} columns={6} /> : null}
            {connection?.edges.map(({ node }) => (
              <tr key={node.id} {...NAV_ROW}>
                <HostRowCells host={node} now={now} />
              </tr>
            ))}
            {connection && connection.edges.length === 0 ? (
              <tr>
                <td colSpan={6} class="empty-row">
                  No host has it.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {connection?.pageInfo.hasNextPage ? <LoadMore busy={hosts.fetching} label="More hosts" onVisible={() => !hosts.fetching && setAfter(connection.pageInfo.endCursor ?? null)} /> : null}
    </>
  );
}

const CHANGES_PAGE_SIZE = 50;

/** "Which hosts changed this app in the last N days": the window is part of the URL (?days=). */
function TitleChanges({ route, days, now }: { route: Extract<Route, { page: "title" }>; days: number; now: number }) {
  const { navigate } = useRouter();
  const [after, setAfter] = useState<string | null>(null);
  useEffect(() => setAfter(null), [route.name, route.source, days]);
  const [{ data, error, fetching }] = useQuery({
    query: SoftwareChangesQuery,
    variables: { name: route.name, days, first: CHANGES_PAGE_SIZE, after, ...(route.source ? { source: route.source } : {}) },
  });
  const changes = data?.softwareChanges;
  const windows = CHANGE_DAYS.includes(days as (typeof CHANGE_DAYS)[number]) ? CHANGE_DAYS : [...CHANGE_DAYS, days].sort((a, b) => a - b);
  return (
    <section class="title-changes" aria-labelledby="changes-title">
      <h2 id="changes-title">Hosts that changed it in the last {count(days, "day")}</h2>
      <ul class="versions" role="list" aria-label="Window">
        {windows.map((n) => (
          <li key={n}>
            <button type="button" class={days === n ? "chip active" : "chip"} aria-pressed={days === n} onClick={() => navigate({ ...route, days: n }, { replace: true })}>
              {count(n, "day")}
            </button>
          </li>
        ))}
      </ul>
      <p class="muted">
        {changes
          ? changes.totalCount === 0
            ? `No host added, removed or changed the version of ${route.name} in the last ${count(days, "day")}.`
            : `${count(changes.hostCount, "host")} changed it (${count(changes.totalCount, "snapshot")}), newest first. A host's first inventory counts as adding it.`
          : "\u00a0"}
      </p>
      {error && !changes ? <ErrorBox error={error} /> : null}
      {changes?.totalCount === 0 ? null : (
        <div class="table-wrap" hidden={Boolean(error && !changes)}>
          <table class="changes title-changes-table" aria-busy={fetching}>
            <thead>
              <tr>
                <th>Hostname</th>
                <th>Change</th>
                <th class="hide-narrow">Platform and OS</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {!changes && !error ? <SkeletonRows rows={3} columns={4} /> : null}
              {changes?.edges.map(({ node, cursor }) => (
                <tr key={cursor} {...NAV_ROW}>
                  <td>
                    <Link to={hostRoute(node.host.id)} class="strong">
                      {node.host.hostname}
                    </Link>
                  </td>
                  <td>
                    {node.changes.map((change, i) => (
                      <div key={i} class="change">
                        <ChangeKindBadge kind={change.kind} /> {changeVersions(change)}
                        {change.path ? <small class="path">{change.path}</small> : null}
                      </div>
                    ))}
                  </td>
                  <td class="hide-narrow">{platformLabel(node.host.platform, node.host.osName, node.host.osVersion)}</td>
                  <td>
                    {node.snapshot ? (
                      <Link to={{ page: "snapshot", hostId: node.host.id, id: node.snapshot.id, against: null }}>
                        <Time iso={node.at} now={now} />
                      </Link>
                    ) : (
                      <Time iso={node.at} now={now} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {changes?.pageInfo.hasNextPage ? <LoadMore busy={fetching} label="More changes" onVisible={() => !fetching && setAfter(changes.pageInfo.endCursor ?? null)} /> : null}
    </section>
  );
}
