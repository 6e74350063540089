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
    "\n  fragment HostFields on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    hardwareVendor\n    hardwareModel\n    hardwareSerial\n    cpuBrand\n    physicalMemory\n    local\n    enrolled\n    agentIdentifier\n    enrolledAt\n    lastSeenAt\n    online\n    inventoryRequested\n    resultLines\n    latestSnapshot {\n      id\n      status\n      source\n      appCount\n      error\n    }\n  }\n": typeof types.HostFieldsFragmentDoc,
    "\n  query FleetHosts($filter: HostFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    hosts(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.FleetHostsDocument,
    "\n  query Host($id: ID!, $errors: Int) {\n    host(id: $id) {\n      ...HostFields\n      agentErrors(first: $errors) {\n        severity\n        message\n        loggedAt\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n": typeof types.HostDocument,
    "\n  mutation RevokeHost($id: ID!) {\n    revokeHost(id: $id) {\n      id\n      enrolled\n    }\n  }\n": typeof types.RevokeHostDocument,
    "\n  mutation CollectHost($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      status\n      source\n      appCount\n      added\n      removed\n      error\n    }\n  }\n": typeof types.CollectHostDocument,
    "\n  fragment PageInfoFields on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n": typeof types.PageInfoFieldsFragmentDoc,
    "\n  fragment AppFields on App {\n    id\n    name\n    version\n    source\n    path\n    bundleIdentifier\n    publisher\n    firstSeenAt\n  }\n": typeof types.AppFieldsFragmentDoc,
    "\n  query LatestData(\n    $hostId: ID\n    $snapshotId: ID\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n    $filter: AppFilter\n  ) {\n    latestData(\n      hostId: $hostId\n      snapshotId: $snapshotId\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      filter: $filter\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...AppFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n      snapshot {\n        id\n        status\n        appCount\n        added\n        removed\n        collectedAt\n      }\n      version {\n        osqueryVersion\n        osName\n        osVersion\n        platform\n        arch\n        build\n      }\n    }\n  }\n": typeof types.LatestDataDocument,
    "\n  fragment SnapshotFields on Snapshot {\n    id\n    collectedAt\n    status\n    error\n    appCount\n    added\n    removed\n    version {\n      osqueryVersion\n      osName\n      osVersion\n      platform\n      arch\n      build\n    }\n    host {\n      id\n      hostname\n      platform\n    }\n  }\n": typeof types.SnapshotFieldsFragmentDoc,
    "\n  query Snapshots($hostId: ID, $first: Int, $after: String, $last: Int, $before: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...SnapshotFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n": typeof types.SnapshotsDocument,
    "\n  query Hosts($first: Int, $after: String, $last: Int, $before: String) {\n    hosts(first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          hostname\n          platform\n          latestSnapshot {\n            id\n            status\n          }\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n": typeof types.HostsDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) {\n      id\n      __typename\n      ... on App {\n        name\n      }\n      ... on Snapshot {\n        status\n      }\n      ... on Host {\n        hostname\n      }\n    }\n  }\n": typeof types.NodeDocument,
    "\n  mutation CollectSnapshot($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n": typeof types.CollectSnapshotDocument,
    "\n  subscription SnapshotUpdated($hostId: ID) {\n    snapshotUpdated(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n": typeof types.SnapshotUpdatedDocument,
    "\n  fragment ChangeCountsFields on ChangeCounts {\n    added\n    removed\n    upgraded\n    downgraded\n  }\n": typeof types.ChangeCountsFieldsFragmentDoc,
    "\n  fragment AppChangeFields on AppChange {\n    kind\n    name\n    source\n    path\n    fromVersion\n    toVersion\n    app {\n      id\n      name\n      version\n    }\n  }\n": typeof types.AppChangeFieldsFragmentDoc,
    "\n  query SnapshotDiff($from: ID!, $to: ID!, $kind: [ChangeKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    snapshotDiff(from: $from, to: $to, kind: $kind, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      counts {\n        ...ChangeCountsFields\n      }\n      from {\n        id\n      }\n      to {\n        id\n      }\n      edges {\n        cursor\n        node {\n          ...AppChangeFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n": typeof types.SnapshotDiffDocument,
    "\n  query SnapshotChanges($id: ID!, $kind: [ChangeKind!], $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        status\n        added\n        removed\n        previous {\n          id\n        }\n        changes(kind: $kind, first: $first, after: $after) {\n          totalCount\n          counts {\n            ...ChangeCountsFields\n          }\n          from {\n            id\n          }\n          edges {\n            node {\n              ...AppChangeFields\n            }\n          }\n          pageInfo {\n            ...PageInfoFields\n          }\n        }\n      }\n    }\n  }\n": typeof types.SnapshotChangesDocument,
    "\n  query AppHistory($hostId: ID, $name: String!, $source: String) {\n    appHistory(hostId: $hostId, name: $name, source: $source) {\n      version\n      source\n      path\n      firstSeenAt\n      removedAt\n      firstSeenSnapshot {\n        id\n      }\n      removedSnapshot {\n        id\n      }\n      app {\n        id\n        name\n      }\n    }\n  }\n": typeof types.AppHistoryDocument,
    "\n  subscription SnapshotUpdatedWithChanges {\n    snapshotUpdated {\n      id\n      status\n      changes(first: 100) {\n        counts {\n          ...ChangeCountsFields\n        }\n        edges {\n          node {\n            kind\n            name\n            fromVersion\n            toVersion\n          }\n        }\n      }\n    }\n  }\n": typeof types.SnapshotUpdatedWithChangesDocument,
};
const documents: Documents = {
    "\n  fragment HostFields on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    hardwareVendor\n    hardwareModel\n    hardwareSerial\n    cpuBrand\n    physicalMemory\n    local\n    enrolled\n    agentIdentifier\n    enrolledAt\n    lastSeenAt\n    online\n    inventoryRequested\n    resultLines\n    latestSnapshot {\n      id\n      status\n      source\n      appCount\n      error\n    }\n  }\n": types.HostFieldsFragmentDoc,
    "\n  query FleetHosts($filter: HostFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    hosts(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.FleetHostsDocument,
    "\n  query Host($id: ID!, $errors: Int) {\n    host(id: $id) {\n      ...HostFields\n      agentErrors(first: $errors) {\n        severity\n        message\n        loggedAt\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n": types.HostDocument,
    "\n  mutation RevokeHost($id: ID!) {\n    revokeHost(id: $id) {\n      id\n      enrolled\n    }\n  }\n": types.RevokeHostDocument,
    "\n  mutation CollectHost($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      status\n      source\n      appCount\n      added\n      removed\n      error\n    }\n  }\n": types.CollectHostDocument,
    "\n  fragment PageInfoFields on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n": types.PageInfoFieldsFragmentDoc,
    "\n  fragment AppFields on App {\n    id\n    name\n    version\n    source\n    path\n    bundleIdentifier\n    publisher\n    firstSeenAt\n  }\n": types.AppFieldsFragmentDoc,
    "\n  query LatestData(\n    $hostId: ID\n    $snapshotId: ID\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n    $filter: AppFilter\n  ) {\n    latestData(\n      hostId: $hostId\n      snapshotId: $snapshotId\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      filter: $filter\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...AppFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n      snapshot {\n        id\n        status\n        appCount\n        added\n        removed\n        collectedAt\n      }\n      version {\n        osqueryVersion\n        osName\n        osVersion\n        platform\n        arch\n        build\n      }\n    }\n  }\n": types.LatestDataDocument,
    "\n  fragment SnapshotFields on Snapshot {\n    id\n    collectedAt\n    status\n    error\n    appCount\n    added\n    removed\n    version {\n      osqueryVersion\n      osName\n      osVersion\n      platform\n      arch\n      build\n    }\n    host {\n      id\n      hostname\n      platform\n    }\n  }\n": types.SnapshotFieldsFragmentDoc,
    "\n  query Snapshots($hostId: ID, $first: Int, $after: String, $last: Int, $before: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...SnapshotFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n": types.SnapshotsDocument,
    "\n  query Hosts($first: Int, $after: String, $last: Int, $before: String) {\n    hosts(first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          hostname\n          platform\n          latestSnapshot {\n            id\n            status\n          }\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n": types.HostsDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) {\n      id\n      __typename\n      ... on App {\n        name\n      }\n      ... on Snapshot {\n        status\n      }\n      ... on Host {\n        hostname\n      }\n    }\n  }\n": types.NodeDocument,
    "\n  mutation CollectSnapshot($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n": types.CollectSnapshotDocument,
    "\n  subscription SnapshotUpdated($hostId: ID) {\n    snapshotUpdated(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n": types.SnapshotUpdatedDocument,
    "\n  fragment ChangeCountsFields on ChangeCounts {\n    added\n    removed\n    upgraded\n    downgraded\n  }\n": types.ChangeCountsFieldsFragmentDoc,
    "\n  fragment AppChangeFields on AppChange {\n    kind\n    name\n    source\n    path\n    fromVersion\n    toVersion\n    app {\n      id\n      name\n      version\n    }\n  }\n": types.AppChangeFieldsFragmentDoc,
    "\n  query SnapshotDiff($from: ID!, $to: ID!, $kind: [ChangeKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    snapshotDiff(from: $from, to: $to, kind: $kind, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      counts {\n        ...ChangeCountsFields\n      }\n      from {\n        id\n      }\n      to {\n        id\n      }\n      edges {\n        cursor\n        node {\n          ...AppChangeFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n": types.SnapshotDiffDocument,
    "\n  query SnapshotChanges($id: ID!, $kind: [ChangeKind!], $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        status\n        added\n        removed\n        previous {\n          id\n        }\n        changes(kind: $kind, first: $first, after: $after) {\n          totalCount\n          counts {\n            ...ChangeCountsFields\n          }\n          from {\n            id\n          }\n          edges {\n            node {\n              ...AppChangeFields\n            }\n          }\n          pageInfo {\n            ...PageInfoFields\n          }\n        }\n      }\n    }\n  }\n": types.SnapshotChangesDocument,
    "\n  query AppHistory($hostId: ID, $name: String!, $source: String) {\n    appHistory(hostId: $hostId, name: $name, source: $source) {\n      version\n      source\n      path\n      firstSeenAt\n      removedAt\n      firstSeenSnapshot {\n        id\n      }\n      removedSnapshot {\n        id\n      }\n      app {\n        id\n        name\n      }\n    }\n  }\n": types.AppHistoryDocument,
    "\n  subscription SnapshotUpdatedWithChanges {\n    snapshotUpdated {\n      id\n      status\n      changes(first: 100) {\n        counts {\n          ...ChangeCountsFields\n        }\n        edges {\n          node {\n            kind\n            name\n            fromVersion\n            toVersion\n          }\n        }\n      }\n    }\n  }\n": types.SnapshotUpdatedWithChangesDocument,
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
export function graphql(source: "\n  fragment HostFields on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    hardwareVendor\n    hardwareModel\n    hardwareSerial\n    cpuBrand\n    physicalMemory\n    local\n    enrolled\n    agentIdentifier\n    enrolledAt\n    lastSeenAt\n    online\n    inventoryRequested\n    resultLines\n    latestSnapshot {\n      id\n      status\n      source\n      appCount\n      error\n    }\n  }\n"): (typeof documents)["\n  fragment HostFields on Host {\n    id\n    hostname\n    platform\n    osName\n    osVersion\n    osqueryVersion\n    hardwareVendor\n    hardwareModel\n    hardwareSerial\n    cpuBrand\n    physicalMemory\n    local\n    enrolled\n    agentIdentifier\n    enrolledAt\n    lastSeenAt\n    online\n    inventoryRequested\n    resultLines\n    latestSnapshot {\n      id\n      status\n      source\n      appCount\n      error\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetHosts($filter: HostFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    hosts(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query FleetHosts($filter: HostFilter, $first: Int, $after: String, $last: Int, $before: String) {\n    hosts(filter: $filter, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...HostFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Host($id: ID!, $errors: Int) {\n    host(id: $id) {\n      ...HostFields\n      agentErrors(first: $errors) {\n        severity\n        message\n        loggedAt\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n"): (typeof documents)["\n  query Host($id: ID!, $errors: Int) {\n    host(id: $id) {\n      ...HostFields\n      agentErrors(first: $errors) {\n        severity\n        message\n        loggedAt\n        filename\n        line\n        osqueryVersion\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeHost($id: ID!) {\n    revokeHost(id: $id) {\n      id\n      enrolled\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeHost($id: ID!) {\n    revokeHost(id: $id) {\n      id\n      enrolled\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CollectHost($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      status\n      source\n      appCount\n      added\n      removed\n      error\n    }\n  }\n"): (typeof documents)["\n  mutation CollectHost($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      id\n      status\n      source\n      appCount\n      added\n      removed\n      error\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PageInfoFields on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n"): (typeof documents)["\n  fragment PageInfoFields on PageInfo {\n    hasNextPage\n    hasPreviousPage\n    startCursor\n    endCursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AppFields on App {\n    id\n    name\n    version\n    source\n    path\n    bundleIdentifier\n    publisher\n    firstSeenAt\n  }\n"): (typeof documents)["\n  fragment AppFields on App {\n    id\n    name\n    version\n    source\n    path\n    bundleIdentifier\n    publisher\n    firstSeenAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LatestData(\n    $hostId: ID\n    $snapshotId: ID\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n    $filter: AppFilter\n  ) {\n    latestData(\n      hostId: $hostId\n      snapshotId: $snapshotId\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      filter: $filter\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...AppFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n      snapshot {\n        id\n        status\n        appCount\n        added\n        removed\n        collectedAt\n      }\n      version {\n        osqueryVersion\n        osName\n        osVersion\n        platform\n        arch\n        build\n      }\n    }\n  }\n"): (typeof documents)["\n  query LatestData(\n    $hostId: ID\n    $snapshotId: ID\n    $first: Int\n    $after: String\n    $last: Int\n    $before: String\n    $filter: AppFilter\n  ) {\n    latestData(\n      hostId: $hostId\n      snapshotId: $snapshotId\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      filter: $filter\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...AppFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n      snapshot {\n        id\n        status\n        appCount\n        added\n        removed\n        collectedAt\n      }\n      version {\n        osqueryVersion\n        osName\n        osVersion\n        platform\n        arch\n        build\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SnapshotFields on Snapshot {\n    id\n    collectedAt\n    status\n    error\n    appCount\n    added\n    removed\n    version {\n      osqueryVersion\n      osName\n      osVersion\n      platform\n      arch\n      build\n    }\n    host {\n      id\n      hostname\n      platform\n    }\n  }\n"): (typeof documents)["\n  fragment SnapshotFields on Snapshot {\n    id\n    collectedAt\n    status\n    error\n    appCount\n    added\n    removed\n    version {\n      osqueryVersion\n      osName\n      osVersion\n      platform\n      arch\n      build\n    }\n    host {\n      id\n      hostname\n      platform\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Snapshots($hostId: ID, $first: Int, $after: String, $last: Int, $before: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...SnapshotFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query Snapshots($hostId: ID, $first: Int, $after: String, $last: Int, $before: String) {\n    snapshots(hostId: $hostId, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          ...SnapshotFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Hosts($first: Int, $after: String, $last: Int, $before: String) {\n    hosts(first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          hostname\n          platform\n          latestSnapshot {\n            id\n            status\n          }\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query Hosts($first: Int, $after: String, $last: Int, $before: String) {\n    hosts(first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          hostname\n          platform\n          latestSnapshot {\n            id\n            status\n          }\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Node($id: ID!) {\n    node(id: $id) {\n      id\n      __typename\n      ... on App {\n        name\n      }\n      ... on Snapshot {\n        status\n      }\n      ... on Host {\n        hostname\n      }\n    }\n  }\n"): (typeof documents)["\n  query Node($id: ID!) {\n    node(id: $id) {\n      id\n      __typename\n      ... on App {\n        name\n      }\n      ... on Snapshot {\n        status\n      }\n      ... on Host {\n        hostname\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CollectSnapshot($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n"): (typeof documents)["\n  mutation CollectSnapshot($hostId: ID) {\n    collectSnapshot(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SnapshotUpdated($hostId: ID) {\n    snapshotUpdated(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n"): (typeof documents)["\n  subscription SnapshotUpdated($hostId: ID) {\n    snapshotUpdated(hostId: $hostId) {\n      ...SnapshotFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ChangeCountsFields on ChangeCounts {\n    added\n    removed\n    upgraded\n    downgraded\n  }\n"): (typeof documents)["\n  fragment ChangeCountsFields on ChangeCounts {\n    added\n    removed\n    upgraded\n    downgraded\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AppChangeFields on AppChange {\n    kind\n    name\n    source\n    path\n    fromVersion\n    toVersion\n    app {\n      id\n      name\n      version\n    }\n  }\n"): (typeof documents)["\n  fragment AppChangeFields on AppChange {\n    kind\n    name\n    source\n    path\n    fromVersion\n    toVersion\n    app {\n      id\n      name\n      version\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SnapshotDiff($from: ID!, $to: ID!, $kind: [ChangeKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    snapshotDiff(from: $from, to: $to, kind: $kind, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      counts {\n        ...ChangeCountsFields\n      }\n      from {\n        id\n      }\n      to {\n        id\n      }\n      edges {\n        cursor\n        node {\n          ...AppChangeFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query SnapshotDiff($from: ID!, $to: ID!, $kind: [ChangeKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    snapshotDiff(from: $from, to: $to, kind: $kind, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      counts {\n        ...ChangeCountsFields\n      }\n      from {\n        id\n      }\n      to {\n        id\n      }\n      edges {\n        cursor\n        node {\n          ...AppChangeFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SnapshotChanges($id: ID!, $kind: [ChangeKind!], $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        status\n        added\n        removed\n        previous {\n          id\n        }\n        changes(kind: $kind, first: $first, after: $after) {\n          totalCount\n          counts {\n            ...ChangeCountsFields\n          }\n          from {\n            id\n          }\n          edges {\n            node {\n              ...AppChangeFields\n            }\n          }\n          pageInfo {\n            ...PageInfoFields\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SnapshotChanges($id: ID!, $kind: [ChangeKind!], $first: Int, $after: String) {\n    node(id: $id) {\n      ... on Snapshot {\n        id\n        status\n        added\n        removed\n        previous {\n          id\n        }\n        changes(kind: $kind, first: $first, after: $after) {\n          totalCount\n          counts {\n            ...ChangeCountsFields\n          }\n          from {\n            id\n          }\n          edges {\n            node {\n              ...AppChangeFields\n            }\n          }\n          pageInfo {\n            ...PageInfoFields\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AppHistory($hostId: ID, $name: String!, $source: String) {\n    appHistory(hostId: $hostId, name: $name, source: $source) {\n      version\n      source\n      path\n      firstSeenAt\n      removedAt\n      firstSeenSnapshot {\n        id\n      }\n      removedSnapshot {\n        id\n      }\n      app {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query AppHistory($hostId: ID, $name: String!, $source: String) {\n    appHistory(hostId: $hostId, name: $name, source: $source) {\n      version\n      source\n      path\n      firstSeenAt\n      removedAt\n      firstSeenSnapshot {\n        id\n      }\n      removedSnapshot {\n        id\n      }\n      app {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SnapshotUpdatedWithChanges {\n    snapshotUpdated {\n      id\n      status\n      changes(first: 100) {\n        counts {\n          ...ChangeCountsFields\n        }\n        edges {\n          node {\n            kind\n            name\n            fromVersion\n            toVersion\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription SnapshotUpdatedWithChanges {\n    snapshotUpdated {\n      id\n      status\n      changes(first: 100) {\n        counts {\n          ...ChangeCountsFields\n        }\n        edges {\n          node {\n            kind\n            name\n            fromVersion\n            toVersion\n          }\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;