/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ConsolePageInfo on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n": typeof types.ConsolePageInfoFragmentDoc,
    "\n  fragment HostRow on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    online\n    lastSeenAt\n    local\n    demo\n    enrolled\n    inventoryRequested\n    latestSnapshot {\n      id\n      collectedAt\n      status\n      error\n    }\n    latestSucceededSnapshot {\n      id\n      appCount\n      collectedAt\n    }\n  }\n": typeof types.HostRowFragmentDoc,
    "\n  query ConsoleHosts($first: Int, $after: String, $last: Int, $before: String, $filter: HostFilter) {\n    hosts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": typeof types.ConsoleHostsDocument,
    "\n  query ConsoleHost($id: ID!) {\n    host(id: $id) {\n      ...HostRow\n      agentIdentifier\n      cpuBrand\n      createdAt\n      enrolledAt\n      hardwareModel\n      hardwareSerial\n      hardwareVendor\n      physicalMemory\n      resultLines\n      agentErrors(first: 20) {\n        loggedAt\n        receivedAt\n        severity\n        message\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n": typeof types.ConsoleHostDocument,
    "\n  query ConsoleApps($hostId: ID!, $first: Int, $after: String, $filter: AppFilter) {\n    latestData(hostId: $hostId, first: $first, after: $after, filter: $filter) {\n      totalCount\n      snapshot {\n        id\n        collectedAt\n      }\n      edges {\n        cursor\n        node {\n          id\n          name\n          version\n          source\n          path\n          publisher\n          firstSeenAt\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": typeof types.ConsoleAppsDocument,
    "\n  query ConsoleSnapshots($hostId: ID!, $first: Int, $after: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          collectedAt\n          status\n          error\n          source\n          appCount\n          added\n          removed\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": typeof types.ConsoleSnapshotsDocument,
    "\n  fragment ConsoleDiff on SnapshotDiffConnection {\n    totalCount\n    counts {\n      added\n      removed\n      upgraded\n      downgraded\n    }\n    from {\n      id\n      collectedAt\n    }\n    to {\n      id\n      collectedAt\n    }\n    edges {\n      cursor\n      node {\n        kind\n        name\n        source\n        path\n        fromVersion\n        toVersion\n      }\n    }\n    pageInfo {\n      ...ConsolePageInfo\n    }\n  }\n": typeof types.ConsoleDiffFragmentDoc,
    "\n  query ConsoleSnapshotChanges($id: ID!, $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        collectedAt\n        status\n        error\n        source\n        appCount\n        added\n        removed\n        host {\n          id\n          hostname\n        }\n        changes(first: $first, after: $after) {\n          ...ConsoleDiff\n        }\n      }\n    }\n  }\n": typeof types.ConsoleSnapshotChangesDocument,
    "\n  query ConsoleSnapshotDiff($from: ID!, $to: ID!, $first: Int, $after: String) {\n    snapshotDiff(from: $from, to: $to, first: $first, after: $after) {\n      ...ConsoleDiff\n    }\n  }\n": typeof types.ConsoleSnapshotDiffDocument,
    "\n  query ConsoleSoftware($first: Int, $after: String, $last: Int, $before: String, $filter: AppFilter) {\n    software(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          name\n          source\n          hostCount\n          versions {\n            version\n            hostCount\n          }\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": typeof types.ConsoleSoftwareDocument,
    "\n  query ConsoleSoftwareHosts($name: String!, $source: String, $version: String, $first: Int, $after: String) {\n    softwareHosts(name: $name, source: $source, version: $version, first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": typeof types.ConsoleSoftwareHostsDocument,
    "\n  mutation ConsoleCollect($hostId: ID!) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      collectedAt\n      status\n      error\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n": typeof types.ConsoleCollectDocument,
    "\n  subscription ConsoleSnapshotUpdated {\n    snapshotUpdated {\n      id\n      collectedAt\n      status\n      error\n      source\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n": typeof types.ConsoleSnapshotUpdatedDocument,
};
const documents: Documents = {
    "\n  fragment ConsolePageInfo on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n": types.ConsolePageInfoFragmentDoc,
    "\n  fragment HostRow on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    online\n    lastSeenAt\n    local\n    demo\n    enrolled\n    inventoryRequested\n    latestSnapshot {\n      id\n      collectedAt\n      status\n      error\n    }\n    latestSucceededSnapshot {\n      id\n      appCount\n      collectedAt\n    }\n  }\n": types.HostRowFragmentDoc,
    "\n  query ConsoleHosts($first: Int, $after: String, $last: Int, $before: String, $filter: HostFilter) {\n    hosts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": types.ConsoleHostsDocument,
    "\n  query ConsoleHost($id: ID!) {\n    host(id: $id) {\n      ...HostRow\n      agentIdentifier\n      cpuBrand\n      createdAt\n      enrolledAt\n      hardwareModel\n      hardwareSerial\n      hardwareVendor\n      physicalMemory\n      resultLines\n      agentErrors(first: 20) {\n        loggedAt\n        receivedAt\n        severity\n        message\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n": types.ConsoleHostDocument,
    "\n  query ConsoleApps($hostId: ID!, $first: Int, $after: String, $filter: AppFilter) {\n    latestData(hostId: $hostId, first: $first, after: $after, filter: $filter) {\n      totalCount\n      snapshot {\n        id\n        collectedAt\n      }\n      edges {\n        cursor\n        node {\n          id\n          name\n          version\n          source\n          path\n          publisher\n          firstSeenAt\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": types.ConsoleAppsDocument,
    "\n  query ConsoleSnapshots($hostId: ID!, $first: Int, $after: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          collectedAt\n          status\n          error\n          source\n          appCount\n          added\n          removed\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": types.ConsoleSnapshotsDocument,
    "\n  fragment ConsoleDiff on SnapshotDiffConnection {\n    totalCount\n    counts {\n      added\n      removed\n      upgraded\n      downgraded\n    }\n    from {\n      id\n      collectedAt\n    }\n    to {\n      id\n      collectedAt\n    }\n    edges {\n      cursor\n      node {\n        kind\n        name\n        source\n        path\n        fromVersion\n        toVersion\n      }\n    }\n    pageInfo {\n      ...ConsolePageInfo\n    }\n  }\n": types.ConsoleDiffFragmentDoc,
    "\n  query ConsoleSnapshotChanges($id: ID!, $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        collectedAt\n        status\n        error\n        source\n        appCount\n        added\n        removed\n        host {\n          id\n          hostname\n        }\n        changes(first: $first, after: $after) {\n          ...ConsoleDiff\n        }\n      }\n    }\n  }\n": types.ConsoleSnapshotChangesDocument,
    "\n  query ConsoleSnapshotDiff($from: ID!, $to: ID!, $first: Int, $after: String) {\n    snapshotDiff(from: $from, to: $to, first: $first, after: $after) {\n      ...ConsoleDiff\n    }\n  }\n": types.ConsoleSnapshotDiffDocument,
    "\n  query ConsoleSoftware($first: Int, $after: String, $last: Int, $before: String, $filter: AppFilter) {\n    software(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          name\n          source\n          hostCount\n          versions {\n            version\n            hostCount\n          }\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": types.ConsoleSoftwareDocument,
    "\n  query ConsoleSoftwareHosts($name: String!, $source: String, $version: String, $first: Int, $after: String) {\n    softwareHosts(name: $name, source: $source, version: $version, first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n": types.ConsoleSoftwareHostsDocument,
    "\n  mutation ConsoleCollect($hostId: ID!) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      collectedAt\n      status\n      error\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n": types.ConsoleCollectDocument,
    "\n  subscription ConsoleSnapshotUpdated {\n    snapshotUpdated {\n      id\n      collectedAt\n      status\n      error\n      source\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n": types.ConsoleSnapshotUpdatedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsolePageInfo on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n"): (typeof documents)["\n  fragment ConsolePageInfo on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment HostRow on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    online\n    lastSeenAt\n    local\n    demo\n    enrolled\n    inventoryRequested\n    latestSnapshot {\n      id\n      collectedAt\n      status\n      error\n    }\n    latestSucceededSnapshot {\n      id\n      appCount\n      collectedAt\n    }\n  }\n"): (typeof documents)["\n  fragment HostRow on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    online\n    lastSeenAt\n    local\n    demo\n    enrolled\n    inventoryRequested\n    latestSnapshot {\n      id\n      collectedAt\n      status\n      error\n    }\n    latestSucceededSnapshot {\n      id\n      appCount\n      collectedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleHosts($first: Int, $after: String, $last: Int, $before: String, $filter: HostFilter) {\n    hosts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleHosts($first: Int, $after: String, $last: Int, $before: String, $filter: HostFilter) {\n    hosts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleHost($id: ID!) {\n    host(id: $id) {\n      ...HostRow\n      agentIdentifier\n      cpuBrand\n      createdAt\n      enrolledAt\n      hardwareModel\n      hardwareSerial\n      hardwareVendor\n      physicalMemory\n      resultLines\n      agentErrors(first: 20) {\n        loggedAt\n        receivedAt\n        severity\n        message\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleHost($id: ID!) {\n    host(id: $id) {\n      ...HostRow\n      agentIdentifier\n      cpuBrand\n      createdAt\n      enrolledAt\n      hardwareModel\n      hardwareSerial\n      hardwareVendor\n      physicalMemory\n      resultLines\n      agentErrors(first: 20) {\n        loggedAt\n        receivedAt\n        severity\n        message\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleApps($hostId: ID!, $first: Int, $after: String, $filter: AppFilter) {\n    latestData(hostId: $hostId, first: $first, after: $after, filter: $filter) {\n      totalCount\n      snapshot {\n        id\n        collectedAt\n      }\n      edges {\n        cursor\n        node {\n          id\n          name\n          version\n          source\n          path\n          publisher\n          firstSeenAt\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleApps($hostId: ID!, $first: Int, $after: String, $filter: AppFilter) {\n    latestData(hostId: $hostId, first: $first, after: $after, filter: $filter) {\n      totalCount\n      snapshot {\n        id\n        collectedAt\n      }\n      edges {\n        cursor\n        node {\n          id\n          name\n          version\n          source\n          path\n          publisher\n          firstSeenAt\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSnapshots($hostId: ID!, $first: Int, $after: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          collectedAt\n          status\n          error\n          source\n          appCount\n          added\n          removed\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSnapshots($hostId: ID!, $first: Int, $after: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          collectedAt\n          status\n          error\n          source\n          appCount\n          added\n          removed\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleDiff on SnapshotDiffConnection {\n    totalCount\n    counts {\n      added\n      removed\n      upgraded\n      downgraded\n    }\n    from {\n      id\n      collectedAt\n    }\n    to {\n      id\n      collectedAt\n    }\n    edges {\n      cursor\n      node {\n        kind\n        name\n        source\n        path\n        fromVersion\n        toVersion\n      }\n    }\n    pageInfo {\n      ...ConsolePageInfo\n    }\n  }\n"): (typeof documents)["\n  fragment ConsoleDiff on SnapshotDiffConnection {\n    totalCount\n    counts {\n      added\n      removed\n      upgraded\n      downgraded\n    }\n    from {\n      id\n      collectedAt\n    }\n    to {\n      id\n      collectedAt\n    }\n    edges {\n      cursor\n      node {\n        kind\n        name\n        source\n        path\n        fromVersion\n        toVersion\n      }\n    }\n    pageInfo {\n      ...ConsolePageInfo\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSnapshotChanges($id: ID!, $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        collectedAt\n        status\n        error\n        source\n        appCount\n        added\n        removed\n        host {\n          id\n          hostname\n        }\n        changes(first: $first, after: $after) {\n          ...ConsoleDiff\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSnapshotChanges($id: ID!, $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        collectedAt\n        status\n        error\n        source\n        appCount\n        added\n        removed\n        host {\n          id\n          hostname\n        }\n        changes(first: $first, after: $after) {\n          ...ConsoleDiff\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSnapshotDiff($from: ID!, $to: ID!, $first: Int, $after: String) {\n    snapshotDiff(from: $from, to: $to, first: $first, after: $after) {\n      ...ConsoleDiff\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSnapshotDiff($from: ID!, $to: ID!, $first: Int, $after: String) {\n    snapshotDiff(from: $from, to: $to, first: $first, after: $after) {\n      ...ConsoleDiff\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSoftware($first: Int, $after: String, $last: Int, $before: String, $filter: AppFilter) {\n    software(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          name\n          source\n          hostCount\n          versions {\n            version\n            hostCount\n          }\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSoftware($first: Int, $after: String, $last: Int, $before: String, $filter: AppFilter) {\n    software(first: $first, after: $after, last: $last, before: $before, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          name\n          source\n          hostCount\n          versions {\n            version\n            hostCount\n          }\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSoftwareHosts($name: String!, $source: String, $version: String, $first: Int, $after: String) {\n    softwareHosts(name: $name, source: $source, version: $version, first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSoftwareHosts($name: String!, $source: String, $version: String, $first: Int, $after: String) {\n    softwareHosts(name: $name, source: $source, version: $version, first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostRow\n        }\n      }\n      pageInfo {\n        ...ConsolePageInfo\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCollect($hostId: ID!) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      collectedAt\n      status\n      error\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleCollect($hostId: ID!) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      collectedAt\n      status\n      error\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleSnapshotUpdated {\n    snapshotUpdated {\n      id\n      collectedAt\n      status\n      error\n      source\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ConsoleSnapshotUpdated {\n    snapshotUpdated {\n      id\n      collectedAt\n      status\n      error\n      source\n      appCount\n      added\n      removed\n      host {\n        ...HostRow\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;