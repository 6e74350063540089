import { graphql } from "./gql/index.js";

// Everything the console shows comes through these public operations; nothing private.

export const PageInfoFragment = graphql(`
  fragment ConsolePageInfo on PageInfo {
    hasNextPage
    hasPreviousPage
    startCursor
    endCursor
  }
`);

export const ChangeCountsFragment = graphql(`
  fragment ConsoleChangeCounts on ChangeCounts {
    added
    removed
    upgraded
    downgraded
  }
`);

export const HostRowFragment = graphql(`
  fragment HostRow on Host {
    id
    hostname
    platform
    osName
    osVersion
    osqueryVersion
    online
    lastSeenAt
    local
    demo
    enrolled
    inventoryRequested
    latestSnapshot {
      id
      collectedAt
      status
      error
    }
    latestSucceededSnapshot {
      id
      appCount
      collectedAt
    }
  }
`);

export const HostsQuery = graphql(`
  query ConsoleHosts($first: Int, $after: String, $last: Int, $before: String, $filter: HostFilter) {
    hosts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      edges {
        cursor
        node {
          ...HostRow
        }
      }
      pageInfo {
        ...ConsolePageInfo
      }
    }
  }
`);

export const HostQuery = graphql(`
  query ConsoleHost($id: ID!) {
    host(id: $id) {
      ...HostRow
      agentIdentifier
      cpuBrand
      createdAt
      enrolledAt
      hardwareModel
      hardwareSerial
      hardwareVendor
      physicalMemory
      resultLines
      agentErrors(first: 20) {
        loggedAt
        receivedAt
        severity
        message
        filename
        line
        osqueryVersion
      }
    }
  }
`);

export const AppsQuery = graphql(`
  query ConsoleApps($hostId: ID!, $first: Int, $after: String, $filter: AppFilter, $orderBy: AppOrder) {
    latestData(hostId: $hostId, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      snapshot {
        id
        collectedAt
      }
      edges {
        cursor
        node {
          id
          name
          version
          source
          path
          publisher
          firstSeenAt
        }
      }
      pageInfo {
        ...ConsolePageInfo
      }
    }
  }
`);

export const SnapshotsQuery = graphql(`
  query ConsoleSnapshots($hostId: ID!, $first: Int, $after: String) {
    snapshots(hostId: $hostId, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          collectedAt
          status
          error
          source
          appCount
          added
          removed
          # The counts of every kind (upgrades too); no change itself is read.
          changes(first: 0) {
            counts {
              ...ConsoleChangeCounts
            }
          }
        }
      }
      pageInfo {
        ...ConsolePageInfo
      }
    }
  }
`);

export const ChangeFieldsFragment = graphql(`
  fragment ConsoleDiff on SnapshotDiffConnection {
    totalCount
    counts {
      ...ConsoleChangeCounts
    }
    from {
      id
      collectedAt
    }
    to {
      id
      collectedAt
    }
    edges {
      cursor
      node {
        kind
        name
        source
        path
        fromVersion
        toVersion
      }
    }
    pageInfo {
      ...ConsolePageInfo
    }
  }
`);

export const SnapshotChangesQuery = graphql(`
  query ConsoleSnapshotChanges($id: ID!, $first: Int, $after: String) {
    node(id: $id) {
      ... on Snapshot {
        id
        collectedAt
        status
        error
        source
        appCount
        added
        removed
        host {
          id
          hostname
        }
        changes(first: $first, after: $after) {
          ...ConsoleDiff
        }
      }
    }
  }
`);

export const SnapshotDiffQuery = graphql(`
  query ConsoleSnapshotDiff($from: ID!, $to: ID!, $first: Int, $after: String) {
    snapshotDiff(from: $from, to: $to, first: $first, after: $after) {
      ...ConsoleDiff
    }
  }
`);

export const SoftwareTitleFragment = graphql(`
  fragment ConsoleSoftwareTitle on SoftwareTitle {
    name
    source
    hostCount
    versions {
      version
      hostCount
    }
  }
`);

export const SoftwareQuery = graphql(`
  query ConsoleSoftware($first: Int, $after: String, $last: Int, $before: String, $filter: AppFilter) {
    software(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      edges {
        cursor
        node {
          ...ConsoleSoftwareTitle
        }
      }
      pageInfo {
        ...ConsolePageInfo
      }
    }
  }
`);

export const SoftwareTitlesQuery = graphql(`
  query ConsoleSoftwareTitles($name: String!, $source: String) {
    softwareTitles(name: $name, source: $source) {
      ...ConsoleSoftwareTitle
    }
  }
`);

export const SoftwareHostsQuery = graphql(`
  query ConsoleSoftwareHosts($name: String!, $source: String, $version: String, $first: Int, $after: String) {
    softwareHosts(name: $name, source: $source, version: $version, first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          ...HostRow
        }
      }
      pageInfo {
        ...ConsolePageInfo
      }
    }
  }
`);

export const SoftwareChangesQuery = graphql(`
  query ConsoleSoftwareChanges($name: String!, $source: String, $days: Int, $first: Int, $after: String) {
    softwareChanges(name: $name, source: $source, days: $days, first: $first, after: $after) {
      totalCount
      hostCount
      edges {
        cursor
        node {
          at
          host {
            id
            hostname
            platform
            osName
            osVersion
          }
          snapshot {
            id
          }
          changes {
            kind
            path
            fromVersion
            toVersion
          }
        }
      }
      pageInfo {
        ...ConsolePageInfo
      }
    }
  }
`);

export const HostPlatformsQuery = graphql(`
  query ConsoleHostPlatforms {
    hostPlatforms {
      platform
      hostCount
    }
  }
`);

export const CollectMutation = graphql(`
  mutation ConsoleCollect($hostId: ID!) {
    collectSnapshot(hostId: $hostId) {
      id
      collectedAt
      status
      error
      appCount
      # Counted as the timeline counts them: an upgrade is one change, not an app added and one removed.
      changes(first: 0) {
        counts {
          ...ConsoleChangeCounts
        }
      }
      host {
        ...HostRow
      }
    }
  }
`);

export const SnapshotUpdatedSubscription = graphql(`
  subscription ConsoleSnapshotUpdated {
    snapshotUpdated {
      id
      collectedAt
      status
      error
      source
      appCount
      added
      removed
      host {
        ...HostRow
      }
    }
  }
`);

export const AppHistoryQuery = graphql(`
  query ConsoleAppHistory($hostId: ID!, $name: String!, $source: String) {
    host(id: $hostId) {
      id
      hostname
    }
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
    }
  }
`);
