import { graphql } from "../gql/gql.js";

export const HostFields = graphql(`
  fragment HostFields on Host {
    id
    hostname
    platform
    osName
    osVersion
    osqueryVersion
    hardwareVendor
    hardwareModel
    hardwareSerial
    cpuBrand
    physicalMemory
    local
    demo
    enrolled
    agentIdentifier
    enrolledAt
    lastSeenAt
    online
    inventoryRequested
    resultLines
    latestSnapshot {
      id
      status
      source
      appCount
      error
    }
  }
`);

export const FleetHostsQuery = graphql(`
  query FleetHosts($filter: HostFilter, $first: Int, $after: String, $last: Int, $before: String) {
    hosts(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges {
        cursor
        node {
          ...HostFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
    }
  }
`);

export const HostQuery = graphql(`
  query Host($id: ID!, $errors: Int) {
    host(id: $id) {
      ...HostFields
      agentErrors(first: $errors) {
        severity
        message
        loggedAt
        filename
        line
        osqueryVersion
      }
    }
  }
`);

export const RevokeHostMutation = graphql(`
  mutation RevokeHost($id: ID!) {
    revokeHost(id: $id) {
      id
      enrolled
    }
  }
`);

export const CollectHostMutation = graphql(`
  mutation CollectHost($hostId: ID) {
    collectSnapshot(hostId: $hostId) {
      id
      status
      source
      appCount
      added
      removed
      error
    }
  }
`);

export const SoftwareTitleFields = graphql(`
  fragment SoftwareTitleFields on SoftwareTitle {
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
  query Software($filter: AppFilter, $first: Int, $after: String, $last: Int, $before: String) {
    software(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges {
        cursor
        node {
          ...SoftwareTitleFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
    }
  }
`);

export const SoftwareTitlesQuery = graphql(`
  query SoftwareTitles($name: String!, $source: String) {
    softwareTitles(name: $name, source: $source) {
      ...SoftwareTitleFields
    }
  }
`);

export const SoftwareHostsQuery = graphql(`
  query SoftwareHosts($name: String!, $source: String, $version: String, $first: Int, $after: String) {
    softwareHosts(name: $name, source: $source, version: $version, first: $first, after: $after) {
      totalCount
      edges {
        node {
          id
          hostname
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const SoftwareChangesQuery = graphql(`
  query SoftwareChanges($name: String!, $source: String, $days: Int, $since: DateTime, $first: Int, $after: String, $last: Int, $before: String) {
    softwareChanges(name: $name, source: $source, days: $days, since: $since, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      hostCount
      edges {
        cursor
        node {
          at
          host {
            id
            hostname
          }
          snapshot {
            id
            collectedAt
          }
          changes {
            kind
            name
            source
            path
            fromVersion
            toVersion
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

export const HostPlatformsQuery = graphql(`
  query HostPlatforms {
    hostPlatforms {
      platform
      hostCount
    }
  }
`);
