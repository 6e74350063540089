import type { CombinedError } from "@urql/core";
import { useClient, useQuery } from "@urql/preact";
import { useState } from "preact/hooks";
import type { ConsoleSnapshotsQuery } from "./gql/graphql.js";
import { SnapshotsQuery } from "./operations.js";

type SnapshotEdge = ConsoleSnapshotsQuery["snapshots"]["edges"][number];

/** `shown` and then the edges of `more` it does not have yet (by cursor), in order. */
export function appendPage<T extends { cursor: string }>(shown: readonly T[], more: readonly T[]): T[] {
  const seen = new Set(shown.map((edge) => edge.cursor));
  return [...shown, ...more.filter((edge) => !seen.has(edge.cursor))];
}

export interface SnapshotPages {
  /** Newest first: the first page (live), then every older page read so far. */
  edges: SnapshotEdge[];
  /** Null until the first page has been read. */
  hasNextPage: boolean | null;
  /** The first page's reading (fetching, error). */
  first: { fetching: boolean; error: CombinedError | undefined };
  /** An older page is being read. */
  loadingOlder: boolean;
  olderError: CombinedError | null;
  /** Reads the page after the last snapshot shown. */
  loadOlder(): void;
}

/**
 * A host's snapshots, newest first, a page at a time (the timeline, the snapshot page's picker).
 * The first page is a query of its own, read again when a new snapshot of the host invalidates it
 * (client.ts); the older pages are read once each and kept here. Older pages as the query's `after`
 * were lost when a snapshot landed: the invalidated query read again only the page of its own
 * cursor, and Graphcache's relayPagination had nothing before it left to merge.
 */
export function useSnapshotPages(hostId: string, pageSize: number): SnapshotPages {
  const client = useClient();
  const [{ data, fetching, error }] = useQuery({ query: SnapshotsQuery, variables: { hostId, first: pageSize } });
  const [older, setOlder] = useState<{ hostId: string; edges: SnapshotEdge[]; hasNextPage: boolean } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<CombinedError | null>(null);
  const firstPage = data?.snapshots;
  const kept = older?.hostId === hostId ? older : null;
  // The first page may hold older pages too (relayPagination merges what the cache has).
  const edges = appendPage(firstPage?.edges ?? [], kept?.edges ?? []);
  const hasNextPage = kept ? kept.hasNextPage : (firstPage?.pageInfo.hasNextPage ?? null);
  const loadOlder = () => {
    const last = edges.at(-1);
    if (loadingOlder || !last) return;
    setLoadingOlder(true);
    void client
      .query(SnapshotsQuery, { hostId, first: pageSize, after: last.cursor }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        setLoadingOlder(false);
        setOlderError(result.error ?? null);
        const page = result.data?.snapshots;
        if (!page) return;
        // The answer can hold cached pages before this one as well (relayPagination again).
        setOlder({ hostId, edges: appendPage(edges, page.edges), hasNextPage: page.pageInfo.hasNextPage });
      });
  };
  return { edges, hasNextPage, first: { fetching, error }, loadingOlder, olderError, loadOlder };
}
