import { useQuery } from "@urql/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ConsoleDiffFragment } from "../gql/graphql.js";
import { isRefusedInput, snapshotFailure } from "../errors.js";
import { asSentence, changeVersions, count, exactTime } from "../format.js";
import { SnapshotChangesQuery, SnapshotDiffQuery } from "../operations.js";
import { hostRoute, type Route } from "../route.js";
import { Link, useRouter } from "../router.js";
import { useSnapshotPages } from "../snapshot-pages.js";
import { ChangeKindBadge, ErrorBox, LoadMore, NAV_ROW, SkeletonBlock, SkeletonRows, Time, useNow } from "../ui.js";

const CHANGES_PAGE_SIZE = 100;
const COMPARE_PAGE_SIZE = 50;

function Changes({ hostId, diff, fetching, onMore }: { hostId: string; diff: ConsoleDiffFragment | null | undefined; fetching: boolean; onMore: (cursor: string | null) => void }) {
  return (
    <>
      {diff ? (
        <p class="counts">
          <span class="added">+{diff.counts.added} added</span> · <span class="removed">−{diff.counts.removed} removed</span> · {diff.counts.upgraded} upgraded ·{" "}
          {diff.counts.downgraded} downgraded
        </p>
      ) : null}
      <div class="table-wrap">
        <table class="changes">
          <thead>
            <tr>
              <th>Change</th>
              <th>Name</th>
              <th>Version</th>
              <th class="hide-narrow">Source</th>
            </tr>
          </thead>
          <tbody>
            {!diff ? <SkeletonRows rows={5} columns={4} /> : null}
            {diff?.edges.map(({ node }, i) => (
              <tr key={i} {...NAV_ROW}>
                <td>
                  <ChangeKindBadge kind={node.kind} />
                </td>
                <td>
                  <Link to={{ page: "app", hostId, name: node.name, source: node.source }}>{node.name}</Link>
                  {node.path ? <small class="path">{node.path}</small> : null}
                </td>
                <td>{changeVersions(node)}</td>
                <td class="hide-narrow">{node.source}</td>
              </tr>
            ))}
            {diff && diff.edges.length === 0 ? (
              <tr>
                <td colSpan={4} class="empty-row">
                  Nothing changed.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {diff?.pageInfo.hasNextPage ? <LoadMore busy={fetching} label="More changes" onVisible={() => !fetching && onMore(diff.pageInfo.endCursor ?? null)} /> : null}
    </>
  );
}

export function SnapshotPage({ route }: { route: Extract<Route, { page: "snapshot" }> }) {
  const { navigate } = useRouter();
  const now = useNow();
  const [after, setAfter] = useState<string | null>(null);
  useEffect(() => setAfter(null), [route.id, route.against]);
  const [snapshotResult] = useQuery({ query: SnapshotChangesQuery, variables: { id: route.id, first: CHANGES_PAGE_SIZE, after: route.against ? null : after } });
  const [diffResult] = useQuery({
    query: SnapshotDiffQuery,
    variables: { from: route.against ?? "", to: route.id, first: CHANGES_PAGE_SIZE, after },
    pause: route.against === null,
  });
  const others = useSnapshotPages(route.hostId, COMPARE_PAGE_SIZE);

  // Once the last page is read, its button goes: the keyboard's focus moves to the list it grew, not to the page.
  const select = useRef<HTMLSelectElement>(null);
  const askedOlder = useRef(false);
  useEffect(() => {
    if (!askedOlder.current || others.loadingOlder) return;
    askedOlder.current = false;
    if (others.hasNextPage === false && document.activeElement === document.body) select.current?.focus();
  }, [others.loadingOlder, others.hasNextPage]);

  const node = snapshotResult.data?.node;
  const snapshot = node && "collectedAt" in node ? node : null;
  const error = snapshotResult.error ?? diffResult.error;
  // An ID that is no snapshot's (a mistyped or truncated link) is refused by the API: it is as missing.
  const refused = snapshotResult.error !== undefined && isRefusedInput(snapshotResult.error);
  if (error && !snapshot && !refused) return <ErrorBox error={error} />;
  if ((snapshotResult.data || refused) && !snapshot) {
    return (
      <div class="empty">
        <h1>No such snapshot</h1>
        <p>
          Retention may have deleted it. <Link to={hostRoute(route.hostId)}>Back to the host</Link>
        </p>
      </div>
    );
  }
  const failure = snapshotFailure(snapshot?.error);
  const diff = route.against ? diffResult.data?.snapshotDiff : snapshot?.changes;
  const choices = others.edges.map((e) => e.node).filter((s) => s.status === "SUCCEEDED" && s.id !== route.id);
  // A link may compare with a snapshot older than the pages read so far: it is a choice all the same.
  const linked = route.against && !choices.some((s) => s.id === route.against) ? { id: route.against, collectedAt: diff?.from?.collectedAt ?? null } : null;
  return (
    <section>
      <header class="page-head">
        <p class="crumbs">
          <Link to="/">Hosts</Link> / <Link to={hostRoute(route.hostId)}>{snapshot?.host.hostname ?? "host"}</Link> /
        </p>
        <h1>{snapshot ? <>Snapshot of {exactTime(snapshot.collectedAt)}</> : <span class="skeleton wide" />}</h1>
        {snapshot ? (
          <p class="muted">
            <Time iso={snapshot.collectedAt} now={now} /> · {snapshot.source === "AGENT" ? "from the agent" : "from osqueryi"}
            {snapshot.status === "SUCCEEDED" ? ` · ${count(snapshot.appCount, "app")}` : ""}
          </p>
        ) : null}
      </header>
      {!snapshot ? <SkeletonBlock lines={3} /> : null}
      {snapshot?.status === "FAILED" ? (
        <div class="error-box" role="alert">
          <strong>This collection failed{failure?.code ? ` (${failure.code})` : ""}.</strong> {asSentence(failure?.reason ?? "No reason was recorded")} A failed
          snapshot changes nothing: the host keeps its previous inventory.
        </div>
      ) : null}
      {snapshot?.status === "SUCCEEDED" ? (
        <>
          <form class="filters" onSubmit={(e) => e.preventDefault()}>
            <label class="field">
              <span>Compare with</span>
              <select
                ref={select}
                name="against"
                value={route.against ?? ""}
                onChange={(e) => navigate({ ...route, against: e.currentTarget.value || null })}
              >
                <option value="">the previous snapshot</option>
                {choices.map((s) => (
                  <option key={s.id} value={s.id}>
                    {exactTime(s.collectedAt)} ({count(s.appCount, "app")})
                  </option>
                ))}
                {linked ? <option value={linked.id}>{linked.collectedAt ? exactTime(linked.collectedAt) : "the snapshot in the link"}</option> : null}
              </select>
            </label>
            {others.hasNextPage ? (
              <button
                type="button"
                class="older"
                // Not disabled while loading: a disabled button loses the keyboard's focus.
                aria-disabled={others.loadingOlder}
                onClick={() => {
                  askedOlder.current = true;
                  others.loadOlder();
                }}
              >
                {others.loadingOlder ? "Loading…" : "Load older snapshots"}
              </button>
            ) : null}
            <span class="muted older-status" role="status">
              {others.hasNextPage !== null ? `${count(choices.length, "snapshot")} to compare with${others.hasNextPage ? ", and older ones" : ""}` : ""}
            </span>
          </form>
          {others.olderError ? <ErrorBox error={others.olderError} /> : null}
          <h2>
            {route.against
              ? diff?.from
                ? <>Changes from {exactTime(diff.from.collectedAt)} to this snapshot</>
                : "Changes"
              : diff?.from
                ? <>Changes since the previous snapshot ({exactTime(diff.from.collectedAt)})</>
                : diff
                  ? "The host's first inventory: everything was added"
                  : "Changes"}
          </h2>
          {route.against && diffResult.error ? <ErrorBox error={diffResult.error} /> : null}
          <Changes hostId={route.hostId} diff={diff} fetching={route.against ? diffResult.fetching : snapshotResult.fetching} onMore={setAfter} />
        </>
      ) : null}
    </section>
  );
}
