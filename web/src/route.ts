import type { AppOrder } from "./gql/graphql.js";

/**
 * Every page of the console as a value, and its URL. Ids go in the path (Relay global IDs: base64,
 * no dots), names, filters and cursors in the query string: a path segment with a dot would look
 * like a file to the static server and never reach the console.
 */
export type Route =
  | { page: "hosts"; hostname: string; platform: string; after: string | null; before: string | null }
  /** apps: the apps filter; order: the apps' order, A to Z unless the URL says otherwise. */
  | { page: "host"; id: string; apps: string; order: AppOrder }
  | { page: "app"; hostId: string; name: string; source: string }
  | { page: "snapshot"; hostId: string; id: string; against: string | null }
  | { page: "software"; name: string; after: string | null; before: string | null }
  /** days: the "changed in the last N days" view of the title; null, its hosts. */
  | { page: "title"; name: string; source: string; version: string | null; days: number | null }
  | { page: "not-found"; path: string };

const segment = (s: string) => encodeURIComponent(s);

/** The windows the title page offers for "changed in the last N days"; the API takes 1 to 366. */
export const CHANGE_DAYS = [1, 7, 30, 90] as const;
export const DEFAULT_CHANGE_DAYS = 7;
const MAX_CHANGE_DAYS = 366;

/** A whole number of days the API takes, else the default: a hand-edited URL still opens the page. */
function changeDays(value: string | null): number {
  const n = value !== null && /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  return n >= 1 && n <= MAX_CHANGE_DAYS ? n : DEFAULT_CHANGE_DAYS;
}

/** The apps' order as the URL writes it: A to Z is the default and is left out. */
const APP_ORDER_PARAMS = { NAME_ASC: null, NAME_DESC: "name-desc" } as const satisfies Record<AppOrder, string | null>;
export const DEFAULT_APP_ORDER: AppOrder = "NAME_ASC";

/** Any other value (a hand-edited URL) opens the default order rather than an error. */
function appOrder(value: string | null): AppOrder {
  return value === APP_ORDER_PARAMS.NAME_DESC ? "NAME_DESC" : DEFAULT_APP_ORDER;
}

/** The order a click on the sorted column's header switches to. */
export const toggledAppOrder = (order: AppOrder): AppOrder => (order === "NAME_ASC" ? "NAME_DESC" : "NAME_ASC");

/** The header's aria-sort for an order of its column. */
export const ariaSortOf = (order: AppOrder): "ascending" | "descending" => (order === "NAME_ASC" ? "ascending" : "descending");

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

const param = (q: URLSearchParams, name: string) => q.get(name) ?? "";
const optional = (q: URLSearchParams, name: string) => {
  const v = q.get(name);
  return v === null || v === "" ? null : v;
};

/** The route a URL names (pathname and search of the page's location). */
export function parseRoute(pathname: string, search: string): Route {
  const q = new URLSearchParams(search);
  const parts = pathname.split("/").filter(Boolean).map(decode);
  if (parts.some((p) => p === null)) return { page: "not-found", path: pathname };
  const [a, b, c, d, ...rest] = parts as string[];
  if (a === undefined) {
    return { page: "hosts", hostname: param(q, "hostname"), platform: param(q, "platform"), after: optional(q, "after"), before: optional(q, "before") };
  }
  if (a === "hosts" && b !== undefined && c === undefined) return { page: "host", id: b, apps: param(q, "apps"), order: appOrder(q.get("order")) };
  if (a === "hosts" && b !== undefined && c === "app" && d === undefined && q.get("name") !== null) {
    return { page: "app", hostId: b, name: param(q, "name"), source: param(q, "source") };
  }
  if (a === "hosts" && b !== undefined && c === "snapshots" && d !== undefined && rest.length === 0) {
    return { page: "snapshot", hostId: b, id: d, against: optional(q, "against") };
  }
  if (a === "software" && b === undefined) return { page: "software", name: param(q, "name"), after: optional(q, "after"), before: optional(q, "before") };
  if (a === "software" && b === "title" && c === undefined && q.get("name") !== null) {
    return { page: "title", name: param(q, "name"), source: param(q, "source"), version: q.has("version") ? param(q, "version") : null, days: q.has("days") ? changeDays(q.get("days")) : null };
  }
  return { page: "not-found", path: pathname };
}

function withQuery(path: string, params: Record<string, string | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The URL of a route; parseRoute(href(r)) gives r back. */
export function href(route: Route): string {
  switch (route.page) {
    case "hosts":
      return withQuery("/", { hostname: route.hostname, platform: route.platform, after: route.after, before: route.before });
    case "host":
      return withQuery(`/hosts/${segment(route.id)}`, { apps: route.apps, order: APP_ORDER_PARAMS[route.order] });
    case "app":
      return `/hosts/${segment(route.hostId)}/app?${new URLSearchParams({ name: route.name, source: route.source }).toString()}`;
    case "snapshot":
      return withQuery(`/hosts/${segment(route.hostId)}/snapshots/${segment(route.id)}`, { against: route.against });
    case "software":
      return withQuery("/software", { name: route.name, after: route.after, before: route.before });
    case "title": {
      const q = new URLSearchParams({ name: route.name, source: route.source });
      if (route.version !== null) q.set("version", route.version);
      if (route.days !== null) q.set("days", String(route.days));
      return `/software/title?${q.toString()}`;
    }
    case "not-found":
      return route.path;
  }
}

export const hostsRoute = (over: Partial<Extract<Route, { page: "hosts" }>> = {}): Route => ({ page: "hosts", hostname: "", platform: "", after: null, before: null, ...over });

export const hostRoute = (id: string, over: Partial<Extract<Route, { page: "host" }>> = {}): Route => ({ page: "host", id, apps: "", order: DEFAULT_APP_ORDER, ...over });

export const titleRoute = (name: string, source: string, over: Partial<Extract<Route, { page: "title" }>> = {}): Route => ({
  page: "title",
  name,
  source,
  version: null,
  days: null,
  ...over,
});
