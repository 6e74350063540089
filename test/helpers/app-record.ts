import type { AppRecord, SoftwareSource } from "../../src/inventory/types.js";

/** An app record as the inventory sources hand it to the store: no bundle id, publisher or alterations. */
export const appRecord = (source: SoftwareSource, name: string, version: string | null, path: string | null = null): AppRecord => ({
  source,
  name,
  version,
  path,
  bundleIdentifier: null,
  publisher: null,
  alterations: [],
});
