import { graphql } from "../gql/gql.js";

export const PageInfoFields = graphql(`
  fragment PageInfoFields on PageInfo {
    hasNextPage
    hasPreviousPage
    startCursor
    endCursor
  }
`);

export const AppFields = graphql(`
  fragment AppFields on App {
    id
    name
    version
    source
    path
    bundleIdentifier
    publisher
    firstSeenAt
  }
`);

export const LatestDataQuery = graphql(`
  query LatestData(
    $hostId: ID
    $snapshotId: ID
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: AppFilter
    $orderBy: AppOrder
  ) {
    latestData(
      hostId: $hostId
      snapshotId: $snapshotId
      first: $first
      after: $after
      last: $last
      before: $before
      filter: $filter
      orderBy: $orderBy
    ) {
      totalCount
      edges {
        cursor
        node {
          ...AppFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
      snapshot {
        id
        status
        appCount
        added
        removed
        collectedAt
      }
      version {
        osqueryVersion
        osName
        osVersion
        platform
        arch
        build
      }
    }
  }
`);

export const SnapshotFields = graphql(`
  fragment SnapshotFields on Snapshot {
    id
    collectedAt
    status
    error
    appCount
    added
    removed
    version {
      osqueryVersion
      osName
      osVersion
      platform
      arch
      build
    }
    host {
      id
      hostname
      platform
    }
  }
`);

export const SnapshotsQuery = graphql(`
  query Snapshots($hostId: ID, $first: Int, $after: String, $last: Int, $before: String) {
    snapshots(hostId: $hostId, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          ...SnapshotFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
    }
  }
`);

export const HostsQuery = graphql(`
  query Hosts($first: Int, $after: String, $last: Int, $before: String) {
    hosts(first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          hostname
          platform
          latestSnapshot {
            id
            status
          }
        }
      }
      pageInfo {
        ...PageInfoFields
      }
    }
  }
`);

export const NodeQuery = graphql(`
  query Node($id: ID!) {
    node(id: $id) {
      id
      __typename
      ... on App {
        name
      }
      ... on Snapshot {
        status
      }
      ... on Host {
        hostname
      }
    }
  }
`);

export const CollectSnapshotMutation = graphql(`
  mutation CollectSnapshot($hostId: ID) {
    collectSnapshot(hostId: $hostId) {
      ...SnapshotFields
    }
  }
`);

export const SnapshotUpdatedSubscription = graphql(`
  subscription SnapshotUpdated($hostId: ID) {
    snapshotUpdated(hostId: $hostId) {
      ...SnapshotFields
    }
  }
`);

export const ChangeCountsFields = graphql(`
  fragment ChangeCountsFields on ChangeCounts {
    added
    removed
    upgraded
    downgraded
  }
`);

export const AppChangeFields = graphql(`
  fragment AppChangeFields on AppChange {
    kind
    name
    source
    path
    fromVersion
    toVersion
    app {
      id
      name
      version
    }
  }
`);

export const SnapshotDiffQuery = graphql(`
  query SnapshotDiff($from: ID!, $to: ID!, $kind: [ChangeKind!], $first: Int, $after: String, $last: Int, $before: String) {
    snapshotDiff(from: $from, to: $to, kind: $kind, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      counts {
        ...ChangeCountsFields
      }
      from {
        id
      }
      to {
        id
      }
      edges {
        cursor
        node {
          ...AppChangeFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
    }
  }
`);

export const SnapshotChangesQuery = graphql(`
  query SnapshotChanges($id: ID!, $kind: [ChangeKind!], $first: Int, $after: String) {
    node(id: $id) {
      ... on Snapshot {
        id
        status
        added
        removed
        previous {
          id
        }
        changes(kind: $kind, first: $first, after: $after) {
          totalCount
          counts {
            ...ChangeCountsFields
          }
          from {
            id
          }
          edges {
            node {
              ...AppChangeFields
            }
          }
          pageInfo {
            ...PageInfoFields
          }
        }
      }
    }
  }
`);

export const AppHistoryQuery = graphql(`
  query AppHistory($hostId: ID, $name: String!, $source: String) {
    appHistory(hostId: $hostId, name: $name, source: $source) {
      version
      source
      path
      firstSeenAt
      removedAt
      firstSeenSnapshot {
        id
      }
      removedSnapshot {
        id
      }
      app {
        id
        name
      }
    }
  }
`);

export const SnapshotUpdatedWithChangesSubscription = graphql(`
  subscription SnapshotUpdatedWithChanges {
    snapshotUpdated {
      id
      status
      changes(first: 100) {
        counts {
          ...ChangeCountsFields
        }
        edges {
          node {
            kind
            name
            fromVersion
            toVersion
          }
        }
      }
    }
  }
`);

export const StoredAppsQuery = graphql(`
  query StoredApps($first: Int, $filter: AppFilter) {
    latestData(first: $first, filter: $filter) {
      totalCount
      edges {
        node {
          name
          version
          source
          path
          bundleIdentifier
          publisher
          alterations
        }
      }
      snapshot {
        id
        appCount
        added
        removed
        alteredApps
      }
    }
  }
`);
