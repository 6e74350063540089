import { SoftwareSource, type AppRecord, type Inventory } from "../src/inventory/types.js";

/** The bench host's machine: an Ubuntu whose inventory is `apps`. */
export function inventoryOf(apps: AppRecord[], system: Inventory["system"] = { hostname: "bench-host", uuid: "6f1c2a3e-1d4b-4c5e-9f60-7a8b9c0d1e2f" }): Inventory {
  return {
    osqueryVersion: "5.12.1",
    os: { name: "Ubuntu", version: "22.04.4 LTS (Jammy Jellyfish)", platform: "ubuntu", platformLike: "debian", build: null, arch: "x86_64" },
    system,
    source: SoftwareSource.deb_packages,
    apps,
  };
}

export interface ChurnOptions {
  initialApps: number;
  removedPerStep: number;
  addedPerStep: number;
  /** Apps whose version changes per step: each is one identity gone and one new. */
  upgradedPerStep: number;
  seed: number;
}

export interface Churn {
  /** The inventory before any churn. */
  initial: AppRecord[];
  /** Applies one step of churn and returns the whole new inventory. */
  step(): AppRecord[];
}

export interface ExpectedCounts {
  added: number;
  removed: number;
  upgraded: number;
  downgraded: number;
}

interface Package {
  number: number;
  patch: number;
}

const MAINTAINER = "Bench Maintainers <bench@example.org>";

// A seeded generator, so every run stores the same history and runs compare with each other.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nameOf = (number: number) => `pkg-${String(number).padStart(5, "0")}`;

function toRecord(pkg: Package): AppRecord {
  return {
    source: "deb_packages",
    name: nameOf(pkg.number),
    version: `1.0.${pkg.patch}`,
    path: null,
    bundleIdentifier: null,
    publisher: MAINTAINER,
    alterations: [],
  };
}

/**
 * A deb_packages-like inventory that drifts the same way every step: some packages go, as many new
 * ones arrive, and a few are upgraded. New packages get names never used before, so a name removed is
 * never installed again and the expected diff between any two states is plain to compute.
 */
export function createChurn(options: ChurnOptions): Churn {
  const random = mulberry32(options.seed);
  let packages: Package[] = Array.from({ length: options.initialApps }, (_, i) => ({ number: i + 1, patch: i + 1 }));
  let nextNumber = options.initialApps + 1;

  const pickDistinct = (count: number, bound: number): number[] => {
    const picked = new Set<number>();
    while (picked.size < count) picked.add(Math.floor(random() * bound));
    return [...picked];
  };

  return {
    initial: packages.map(toRecord),
    step() {
      // Removed and upgraded packages are disjoint, so each step's diff is exactly the configured counts.
      const picks = pickDistinct(options.removedPerStep + options.upgradedPerStep, packages.length);
      const removed = new Set(picks.slice(0, options.removedPerStep));
      const upgraded = new Set(picks.slice(options.removedPerStep));
      const next: Package[] = [];
      packages.forEach((pkg, i) => {
        if (removed.has(i)) return;
        next.push(upgraded.has(i) ? { number: pkg.number, patch: pkg.patch + 1 } : pkg);
      });
      for (let i = 0; i < options.addedPerStep; i++) next.push({ number: nextNumber, patch: nextNumber++ });
      packages = next;
      return packages.map(toRecord);
    },
  };
}

/** What snapshotDiff should count between two inventories of this generator (names are unique). */
export function expectedCounts(before: AppRecord[], after: AppRecord[]): ExpectedCounts {
  const beforeByName = new Map(before.map((app) => [app.name, app.version]));
  const counts: ExpectedCounts = { added: 0, removed: 0, upgraded: 0, downgraded: 0 };
  for (const app of after) {
    const was = beforeByName.get(app.name);
    beforeByName.delete(app.name);
    if (was === undefined) counts.added++;
    else if (was !== app.version) counts.upgraded++;
  }
  counts.removed = beforeByName.size;
  return counts;
}
