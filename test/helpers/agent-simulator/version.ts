/**
 * osquery versions and the features that depend on them (tags from `git tag --contains` on osquery).
 */

function parts(version: string): number[] {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`not an osquery version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function atLeast(version: string, minimum: string): boolean {
  const a = parts(version);
  const b = parts(minimum);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

export interface Features {
  /** `Authorization: NodeKey <key>` on every request that has a key (5.23.0, commit 98e8dadb). */
  nodeKeyHeader: boolean;
  /** `stats` in distributed/write (5.8.0). */
  distributedStats: boolean;
  /** A query without a discovery entry always runs (5.8.0, cdadfd2a); before, see acceptWork. */
  discoveryOptional: boolean;
  /** `messages` in distributed/write (4.4.0). */
  distributedMessages: boolean;
  /** Status lines with numbers instead of strings (5.10.0). */
  typedStatusLines: boolean;
}

export function featuresOf(version: string): Features {
  return {
    nodeKeyHeader: atLeast(version, "5.23.0"),
    distributedStats: atLeast(version, "5.8.0"),
    discoveryOptional: atLeast(version, "5.8.0"),
    distributedMessages: atLeast(version, "4.4.0"),
    typedStatusLines: atLeast(version, "5.10.0"),
  };
}
