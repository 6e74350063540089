/**
 * What makes two app records the same app on a host: an upgrade is a new identity (one removed, one
 * added), while publisher or bundle identifier changes are not tracked.
 */
export function appIdentity(app: { source: string; name: string; version: string | null; path: string | null }): string {
  return JSON.stringify([app.source, app.name, app.version, app.path]);
}
