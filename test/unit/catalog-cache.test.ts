import { describe, expect, it } from "vitest";
import { SoftwareSource, type AppRecord } from "../../src/inventory/types.js";
import { createCatalogCache, softwareKey } from "../../src/store/software-catalog.js";

const app = (over: Partial<AppRecord>): AppRecord => ({
  source: SoftwareSource.apps,
  name: "Safari",
  version: "17.4",
  path: "/Applications/Safari.app",
  bundleIdentifier: "com.apple.Safari",
  publisher: null,
  alterations: [],
  ...over,
});

describe("the catalog cache", () => {
  it("when it is full, then the oldest tenth goes and it never holds more than its bound", () => {
    const cache = createCatalogCache(100);
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, { softwareId: i, titleId: i, versionId: i, epoch: 0 });
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get("k999")).toEqual({ softwareId: 999, titleId: 999, versionId: 999, epoch: 0 });
    expect(cache.get("k0")).toBeUndefined();
    // Setting a key it holds evicts nothing.
    const before = cache.size;
    cache.set("k999", { softwareId: 999, titleId: 999, versionId: 999, epoch: 0 });
    expect(cache.size).toBe(before);
  });

  it("when two records differ in any field the software fingerprint covers, then their keys differ", () => {
    const base = app({});
    const variants = [
      app({ source: SoftwareSource.programs }),
      app({ name: "Safari " }),
      app({ version: null }),
      app({ version: "" }),
      app({ path: null }),
      app({ bundleIdentifier: "com.apple.safari" }),
      app({ publisher: "Apple" }),
      app({ alterations: ["TRUNCATED"] as AppRecord["alterations"] }),
      // A separator inside a value cannot make two records alike.
      app({ name: 'Safari","17.4', version: null }),
    ];
    const keys = new Set([base, ...variants].map(softwareKey));
    expect(keys.size).toBe(variants.length + 1);
    expect(softwareKey(app({}))).toBe(softwareKey(base));
  });
});
