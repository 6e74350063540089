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
  query LatestData($hostId: ID, $first: Int, $after: String, $last: Int, $before: String, $filter: AppFilter) {
    latestData(hostId: $hostId, first: $first, after: $after, last: $last, before: $before, filter: $filter) {
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
