import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/config.js";

const CWD = "/srv/inventory";

function config(env: Record<string, string | undefined>): Config {
  const result = parseConfig(env, CWD);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.errors.join("; ")}`);
  return result.config;
}

function errors(env: Record<string, string | undefined>): string[] {
  const result = parseConfig(env, CWD);
  if (result.ok) throw new Error(`expected errors, got config ${JSON.stringify(result.config)}`);
  return result.errors;
}

describe("parseConfig", () => {
  it("when the environment is empty, then every setting has its default", () => {
    expect(config({})).toEqual({
      server: { host: "127.0.0.1", port: 4000, sockets: 1 },
      database: { kind: "pglite", dataDir: resolve(CWD, "./data") },
      redisUrl: null,
      leaderCheckMs: 5000,
      responseCache: { ttlMs: 60_000, maxEntries: 1000, maxBytes: 32 * 1024 * 1024, maxEntryBytes: 1024 * 1024 },
      diffCacheBytes: 16 * 1024 * 1024,
      osquery: { binary: "osqueryi", timeoutMs: 60_000, maxOutputBytes: 16 * 1024 * 1024, maxRows: 200_000 },
      collectSchedule: "*/5 * * * *",
      retention: { retainDays: 90, retainFailedDays: 7 },
      auth: { token: null, tokenFile: null, authReads: false },
      http: {
        corsOrigins: [],
        allowedHosts: [
          { hostname: "localhost", port: null },
          { hostname: "127.0.0.1", port: null },
          { hostname: "[::1]", port: null },
        ],
        maxBodyBytes: 100 * 1024,
        keepAliveMs: 5000,
        graphiql: true,
        introspection: true,
      },
      console: { sourceMaps: true, immutableAssets: false },
      limits: { maxDepth: 8, maxAliases: 15, maxDirectives: 10, maxTokens: 2000, maxCost: 20_000 },
      websocket: { maxSocketsPerClient: 32, maxSubscriptionsPerSocket: 100, maxBufferedBytes: 4 * 1024 * 1024 },
      collectRatePerMinute: 6,
      collectLocal: true,
      demo: false,
      fleet: null,
      tls: null,
      log: { level: "info" },
    } satisfies Config);
  });

  it.each([
    [{}, { sourceMaps: true, immutableAssets: false }],
    [{ NODE_ENV: "production" }, { sourceMaps: false, immutableAssets: true }],
    [{ NODE_ENV: "production", CONSOLE_SOURCE_MAPS: "true" }, { sourceMaps: true, immutableAssets: true }],
    [{ CONSOLE_SOURCE_MAPS: "false" }, { sourceMaps: false, immutableAssets: false }],
    [{ CONSOLE: "false" }, null],
  ])("when the console is configured with %j, then it is served as %j", (env, expected) => {
    expect(config(env).console).toEqual(expected);
  });

  it("when DATA_DIR is relative, then it is resolved against cwd", () => {
    expect(config({ DATA_DIR: "state/db" }).database).toEqual({ kind: "pglite", dataDir: "/srv/inventory/state/db" });
  });

  it("when DATABASE_POOL_SIZE is given, then the PostgreSQL pool has that many connections; PGlite ignores it", () => {
    expect(config({ DATABASE_URL: "postgres://db/inventory", DATABASE_POOL_SIZE: "40" }).database).toEqual({ kind: "postgres", url: "postgres://db/inventory", poolSize: 40 });
    expect(config({ DATABASE_POOL_SIZE: "40", DATA_DIR: "/d" }).database).toEqual({ kind: "pglite", dataDir: "/d" });
  });

  it("when DATA_DIR is absolute, then it is kept", () => {
    expect(config({ DATA_DIR: "/var/lib/inventory" }).database).toEqual({ kind: "pglite", dataDir: "/var/lib/inventory" });
  });

  it.each(["postgres://app:secret@db:5432/inventory", "postgresql://localhost/inventory?sslmode=disable"])(
    "when DATABASE_URL is %s, then the database is postgres",
    (url) => {
      expect(config({ DATABASE_URL: url, DATA_DIR: "ignored" }).database).toEqual({ kind: "postgres", url, poolSize: 10 });
    },
  );

  it("when every variable is set to a valid value, then each is used", () => {
    expect(
      config({
        PORT: "8080",
        HOST: "0.0.0.0",
        OSQUERY_BIN: "/opt/osquery/bin/osqueryi",
        OSQUERY_TIMEOUT_MS: "100",
        OSQUERY_MAX_OUTPUT_BYTES: "1024",
        COLLECT_SCHEDULE: "0 * * * *",
        LOG_LEVEL: "debug",
        API_TOKEN: "s3cret-s3cret-s3cret",
        AUTH_READS: "true",
        CORS_ORIGINS: "https://dash.example.com, http://localhost:3000",
        ALLOWED_HOSTS: "Inventory.Example.com, localhost:4000",
        GRAPHIQL: "false",
        INTROSPECTION: "no",
        MAX_BODY_BYTES: "2048",
        HTTP_KEEP_ALIVE_SECONDS: "30",
        MAX_DEPTH: "5",
        MAX_ALIASES: "3",
        MAX_DIRECTIVES: "2",
        MAX_TOKENS: "500",
        MAX_COST: "1000",
        COLLECT_RATE_PER_MINUTE: "2",
        LEADER_CHECK_SECONDS: "2",
        RESPONSE_CACHE_TTL_SECONDS: "0",
        RESPONSE_CACHE_MAX_ENTRIES: "50",
        RESPONSE_CACHE_MAX_BYTES: "65536",
        RESPONSE_CACHE_MAX_ENTRY_BYTES: "4096",
        DIFF_CACHE_BYTES: "0",
        MAX_SOCKETS_PER_CLIENT: "4",
        MAX_SUBSCRIPTIONS_PER_SOCKET: "10",
        WS_MAX_BUFFERED_BYTES: "1048576",
      }),
    ).toMatchObject({
      leaderCheckMs: 2000,
      responseCache: { ttlMs: 0, maxEntries: 50, maxBytes: 65536, maxEntryBytes: 4096 },
      diffCacheBytes: 0,
      websocket: { maxSocketsPerClient: 4, maxSubscriptionsPerSocket: 10, maxBufferedBytes: 1048576 },
      server: { host: "0.0.0.0", port: 8080, sockets: 1 },
      osquery: { binary: "/opt/osquery/bin/osqueryi", timeoutMs: 100, maxOutputBytes: 1024, maxRows: 200_000 },
      collectSchedule: "0 * * * *",
      auth: { token: "s3cret-s3cret-s3cret", tokenFile: null, authReads: true },
      http: {
        corsOrigins: ["https://dash.example.com", "http://localhost:3000"],
        allowedHosts: [
          { hostname: "inventory.example.com", port: null },
          { hostname: "localhost", port: 4000 },
        ],
        maxBodyBytes: 2048,
        keepAliveMs: 30_000,
        graphiql: false,
        introspection: false,
      },
      limits: { maxDepth: 5, maxAliases: 3, maxDirectives: 2, maxTokens: 500, maxCost: 1000 },
      collectRatePerMinute: 2,
      log: { level: "debug" },
    });
  });

  it.each([
    { input: "PORT=0", env: { PORT: "0" }, port: 0 },
    { input: "PORT=65535", env: { PORT: "65535" }, port: 65535 },
    { input: "PORT with spaces", env: { PORT: " 8080 " }, port: 8080 },
  ])("when $input, then the port is $port", ({ env, port }) => {
    expect(config(env).server.port).toBe(port);
  });

  it.each(["localhost", "::1", "127.0.0.2"])("when HOST is the loopback address %s, then it is accepted without a token", (host) => {
    expect(config({ HOST: host }).server.host).toBe(host);
  });

  it.each(["inventory.internal", "10.0.0.7", "0.0.0.0", "::"])("when HOST is %s, then it needs a token or ALLOW_UNAUTHENTICATED=true", (host) => {
    expect(errors({ HOST: host })).toEqual([expect.stringMatching(new RegExp(`^HOST: ${host.replace(/\./g, "\\.")} exposes the API beyond this machine without authentication; set API_TOKEN`))]);
    expect(config({ HOST: host, API_TOKEN: "0123456789abcdef" }).server.host).toBe(host);
    expect(config({ HOST: host, API_TOKEN_FILE: "/run/secrets/token" }).auth.tokenFile).toBe("/run/secrets/token");
    expect(config({ HOST: host, ALLOW_UNAUTHENTICATED: "true" }).server.host).toBe(host);
  });

  it.each([
    [{ API_TOKEN: "short" }, /^API_TOKEN: API_TOKEN must be at least 16 characters/],
    [{ API_TOKEN: "0123456789abcdef", API_TOKEN_FILE: "/t" }, /^API_TOKEN_FILE: set API_TOKEN or API_TOKEN_FILE, not both/],
    [{ AUTH_READS: "true" }, /^AUTH_READS: AUTH_READS=true needs API_TOKEN/],
    [{ AUTH_READS: "maybe" }, /^AUTH_READS: AUTH_READS must be true or false/],
    [{ CORS_ORIGINS: "*" }, /^CORS_ORIGINS: CORS_ORIGINS must list origins; \* is not allowed/],
    [{ CORS_ORIGINS: "https://a.example/path" }, /^CORS_ORIGINS: CORS_ORIGINS: "https:\/\/a.example\/path" is not an origin/],
    [{ CORS_ORIGINS: "ftp://a.example" }, /is not an origin/],
    [{ ALLOWED_HOSTS: "https://inventory.example.com" }, /^ALLOWED_HOSTS: ALLOWED_HOSTS: "https:\/\/inventory.example.com" is not a host name with an optional port/],
    [{ ALLOWED_HOSTS: "inventory.example.com:99999" }, /is not a host name with an optional port/],
    [{ ALLOWED_HOSTS: "inventory.example.com/graphql" }, /is not a host name with an optional port/],
    [{ MAX_BODY_BYTES: "10" }, /^MAX_BODY_BYTES: MAX_BODY_BYTES must be at least 1024/],
    [{ HTTP_KEEP_ALIVE_SECONDS: "0" }, /^HTTP_KEEP_ALIVE_SECONDS: HTTP_KEEP_ALIVE_SECONDS must be at least 1/],
    [{ MAX_DEPTH: "1" }, /^MAX_DEPTH: MAX_DEPTH must be at least 2/],
    [{ COLLECT_RATE_PER_MINUTE: "0" }, /^COLLECT_RATE_PER_MINUTE: COLLECT_RATE_PER_MINUTE must be at least 1/],
    [{ REDIS_URL: "http://localhost:6379" }, /^REDIS_URL: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ RESPONSE_CACHE_MAX_BYTES: "4096", RESPONSE_CACHE_MAX_ENTRY_BYTES: "8192" }, /^RESPONSE_CACHE_MAX_ENTRY_BYTES: must not be larger than RESPONSE_CACHE_MAX_BYTES/],
  ])("when the security settings are %j, then it fails naming the problem", (env, message) => {
    expect(errors(env)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    { host: "127.0.0.1", added: [] },
    { host: "localhost", added: [] },
    { host: "::1", added: [] },
    { host: "127.0.0.2", added: ["127.0.0.2"] },
  ])("when HOST is the loopback address $host and ALLOWED_HOSTS is unset, then only loopback names are served", ({ host, added }) => {
    const names = config({ HOST: host }).http.allowedHosts?.map((h) => h.hostname);
    expect(names).toEqual(["localhost", "127.0.0.1", "[::1]", ...added]);
  });

  it("when HOST is not a loopback address and ALLOWED_HOSTS is unset, then any Host is served", () => {
    expect(config({ HOST: "0.0.0.0", API_TOKEN: "0123456789abcdef" }).http.allowedHosts).toBeNull();
  });

  it("when ALLOWED_HOSTS is set, then it replaces the default; * serves any Host", () => {
    expect(config({ HOST: "0.0.0.0", API_TOKEN: "0123456789abcdef", ALLOWED_HOSTS: "[::1]:8080,inv.internal" }).http.allowedHosts).toEqual([
      { hostname: "[::1]", port: 8080 },
      { hostname: "inv.internal", port: null },
    ]);
    expect(config({ ALLOWED_HOSTS: "*" }).http.allowedHosts).toBeNull();
  });

  it("when NODE_ENV is production, then GraphiQL and introspection are off unless enabled explicitly", () => {
    expect(config({ NODE_ENV: "production" }).http).toMatchObject({ graphiql: false, introspection: false });
    expect(config({ NODE_ENV: "production", GRAPHIQL: "true", INTROSPECTION: "1" }).http).toMatchObject({ graphiql: true, introspection: true });
    expect(config({ NODE_ENV: "development" }).http).toMatchObject({ graphiql: true, introspection: true });
  });

  it.each(["off", "OFF", " Off "])("when COLLECT_SCHEDULE is %j, then the schedule is null", (value) => {
    expect(config({ COLLECT_SCHEDULE: value }).collectSchedule).toBeNull();
  });

  it.each(["0 */5 * * * *", "30 0 * * * *"])("when COLLECT_SCHEDULE is the 6-field cron %j, then it is kept", (value) => {
    expect(config({ COLLECT_SCHEDULE: value }).collectSchedule).toBe(value);
  });

  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"])("when LOG_LEVEL is %s, then it is used", (level) => {
    expect(config({ LOG_LEVEL: level }).log.level).toBe(level);
  });

  it.each([
    { variable: "PORT", value: "abc" },
    { variable: "PORT", value: "70000" },
    { variable: "PORT", value: "-1" },
    { variable: "PORT", value: "80.5" },
    { variable: "HOST", value: "not a host!" },
    { variable: "DATABASE_URL", value: "mysql://x" },
    { variable: "DATABASE_POOL_SIZE", value: "0" },
    { variable: "DATABASE_POOL_SIZE", value: "1001" },
    { variable: "DATABASE_POOL_SIZE", value: "ten" },
    { variable: "DATABASE_URL", value: "postgres://[bad" },
    { variable: "OSQUERY_TIMEOUT_MS", value: "5" },
    { variable: "OSQUERY_TIMEOUT_MS", value: "3600001" },
    { variable: "OSQUERY_MAX_OUTPUT_BYTES", value: "10" },
    { variable: "COLLECT_SCHEDULE", value: "* * *" },
    { variable: "COLLECT_SCHEDULE", value: "61 * * * *" },
    { variable: "COLLECT_SCHEDULE", value: "* * * * * * *" },
    { variable: "LOG_LEVEL", value: "loud" },
    { variable: "RETAIN_DAYS", value: "0" },
    { variable: "RETAIN_DAYS", value: "ninety" },
    { variable: "RETAIN_FAILED_DAYS", value: "-7" },
    { variable: "LEADER_CHECK_SECONDS", value: "0" },
    { variable: "RESPONSE_CACHE_TTL_SECONDS", value: "1m" },
    { variable: "RESPONSE_CACHE_MAX_ENTRIES", value: "0" },
    { variable: "RESPONSE_CACHE_MAX_BYTES", value: "32MB" },
    { variable: "RESPONSE_CACHE_MAX_ENTRY_BYTES", value: "100" },
    { variable: "MAX_SOCKETS_PER_CLIENT", value: "0" },
    { variable: "MAX_SUBSCRIPTIONS_PER_SOCKET", value: "0" },
    { variable: "WS_MAX_BUFFERED_BYTES", value: "1024" },
  ])("when $variable=$value, then it fails with one error naming $variable", ({ variable, value }) => {
    const result = errors({ [variable]: value });
    expect(result).toHaveLength(1);
    expect(result[0]).toMatch(new RegExp(`^${variable}: `));
    expect(result[0]?.slice(variable.length + 2)).toContain(variable);
  });

  it("when ENROLL_SECRET is set, then fleet mode is on with the documented defaults", () => {
    expect(config({ ENROLL_SECRET: "fleet-secret-0123456789" }).fleet).toEqual({
      secrets: ["fleet-secret-0123456789"],
      secretFile: null,
      inventoryIntervalMs: 3_600_000,
      collectWaitMs: 30_000,
      inventoryConcurrency: 32,
      handOutWaitMs: 5_000,
      distributedIntervalSeconds: 10,
      configRefreshSeconds: 300,
      loggerPeriodSeconds: 60,
      onlineWindowMs: 80_000,
      configFile: null,
      maxBodyBytes: 16 * 1024 * 1024,
      errorsKept: 100,
      tlsHostname: null,
      enrollRatePerMinute: 60,
    });
  });

  it.each([
    [{ ENROLL_SECRET: "fleet-secret-0123456789" }, 15_000],
    [{ ENROLL_SECRET: "fleet-secret-0123456789", AGENT_DISTRIBUTED_INTERVAL_SECONDS: "60" }, 65_000],
    [{ ENROLL_SECRET: "fleet-secret-0123456789", HTTP_KEEP_ALIVE_SECONDS: "120" }, 120_000],
    [{}, 5000],
  ])("when fleet mode is %j, then idle keep-alive connections stay open %d ms (past one agent poll)", (env, keepAliveMs) => {
    expect(config(env).http.keepAliveMs).toBe(keepAliveMs);
  });

  const FLEET = { ENROLL_SECRET: "fleet-secret-0123456789" };
  const linux = (node: string) => ({ node, platform: "linux" as const });
  it.each([
    ["Node 22.12 on Linux, fleet mode", FLEET, linux("22.12.0"), 4],
    ["Node 23.1 on Linux, fleet mode", FLEET, linux("23.1.0"), 4],
    ["Node 24 on FreeBSD, fleet mode", FLEET, { node: "24.0.0", platform: "freebsd" as const }, 4],
    ["Node 22.11 on Linux, fleet mode (no reusePort yet)", FLEET, linux("22.11.0"), 1],
    ["Node 23.0 on Linux, fleet mode (no reusePort yet)", FLEET, linux("23.0.0"), 1],
    ["Node 20.19 on Linux, fleet mode", FLEET, linux("20.19.0"), 1],
    ["Node 22.12 on macOS, fleet mode (SO_REUSEPORT does not spread connections there)", FLEET, { node: "22.12.0", platform: "darwin" as const }, 1],
    ["Node 22.12 on Linux, no fleet mode", {}, linux("22.12.0"), 1],
    ["Node 22.12 on Linux, LISTEN_SOCKETS=16", { LISTEN_SOCKETS: "16" }, linux("22.12.0"), 16],
    ["Node 22.12 on Linux, fleet mode, LISTEN_SOCKETS=1", { ...FLEET, LISTEN_SOCKETS: "1" }, linux("22.12.0"), 1],
    ["Node 20.19 on Linux, LISTEN_SOCKETS=1", { LISTEN_SOCKETS: "1" }, linux("20.19.0"), 1],
  ])("when %s, then the service listens on the port with that many sockets", (_case, env, runtime, sockets) => {
    const result = parseConfig(env, CWD, runtime);
    expect(result.ok && result.config.server.sockets).toBe(sockets);
  });

  it.each([
    [{ LISTEN_SOCKETS: "4" }, linux("20.19.0"), /^LISTEN_SOCKETS: more than one listening socket needs SO_REUSEPORT, which Node offers from 22\.12 on Linux and FreeBSD \(this is Node 20\.19\.0 on linux\)$/],
    [{ LISTEN_SOCKETS: "2" }, { node: "22.12.0", platform: "darwin" as const }, /^LISTEN_SOCKETS: .*this is Node 22\.12\.0 on darwin/],
    [{ LISTEN_SOCKETS: "0" }, linux("22.12.0"), /^LISTEN_SOCKETS: LISTEN_SOCKETS must be at least 1$/],
    [{ LISTEN_SOCKETS: "65" }, linux("22.12.0"), /^LISTEN_SOCKETS: LISTEN_SOCKETS must be at most 64$/],
  ])("when LISTEN_SOCKETS is %j on %j, then it fails naming why", (env, runtime, message) => {
    const result = parseConfig(env, CWD, runtime);
    expect(result.ok ? [] : result.errors).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ["a,b", "commas", "old-secret-0123456789,new-secret-0123456789"],
    ["lines", "newlines", "old-secret-0123456789\nnew-secret-0123456789\n"],
    ["blanks", "blank entries", " old-secret-0123456789 ,, \r\nnew-secret-0123456789"],
  ])("when ENROLL_SECRET lists two secrets separated by %s (%s), then both enroll", (_name, _what, value) => {
    expect(config({ ENROLL_SECRET: value }).fleet?.secrets).toEqual(["old-secret-0123456789", "new-secret-0123456789"]);
  });

  it.each([
    [{ ENROLL_SECRET: "short" }, /^ENROLL_SECRET: each enroll secret must be at least 16 characters/],
    [{ ENROLL_SECRET: "good-secret-0123456789,short" }, /^ENROLL_SECRET: each enroll secret/],
    [{ TLS_CERT_FILE: "/c.pem" }, /^TLS_KEY_FILE: set TLS_CERT_FILE and TLS_KEY_FILE together/],
    [{ TLS_KEY_FILE: "/k.pem" }, /^TLS_CERT_FILE: set TLS_CERT_FILE and TLS_KEY_FILE together/],
    [{ AGENT_CONFIG_FILE: "/etc/osquery.conf" }, /^AGENT_CONFIG_FILE: AGENT_CONFIG_FILE is for fleet mode/],
    [{ ENROLL_SECRET: "good-secret-0123456789", AGENT_TLS_HOSTNAME: "https://x.example" }, /^AGENT_TLS_HOSTNAME: AGENT_TLS_HOSTNAME must be host\[:port\]/],
    [{ ENROLL_SECRET: "good-secret-0123456789", AGENT_INVENTORY_INTERVAL_SECONDS: "59" }, /^AGENT_INVENTORY_INTERVAL_SECONDS: .* at least 60/],
    [{ COLLECT_LOCAL: "perhaps" }, /^COLLECT_LOCAL: COLLECT_LOCAL must be true or false/],
  ])("when the fleet settings are %j, then it fails naming the problem", (env, message) => {
    expect(errors(env)).toEqual([expect.stringMatching(message)]);
  });

  it("when fleet settings are given, then each is used and TLS files are kept", () => {
    const c = config({
      ENROLL_SECRET_FILE: "/run/secrets/enroll",
      COLLECT_LOCAL: "false",
      AGENT_INVENTORY_INTERVAL_SECONDS: "600",
      AGENT_COLLECT_WAIT_SECONDS: "5",
      AGENT_INVENTORY_CONCURRENCY: "200",
      AGENT_DISTRIBUTED_INTERVAL_SECONDS: "60",
      AGENT_ONLINE_SECONDS: "300",
      AGENT_TLS_HOSTNAME: "inventory.example.com:8443",
      TLS_CERT_FILE: "/etc/inv/cert.pem",
      TLS_KEY_FILE: "/etc/inv/key.pem",
    });
    expect(c.collectLocal).toBe(false);
    expect(c.tls).toEqual({ certFile: "/etc/inv/cert.pem", keyFile: "/etc/inv/key.pem" });
    expect(c.fleet).toMatchObject({
      secrets: [],
      secretFile: "/run/secrets/enroll",
      inventoryIntervalMs: 600_000,
      collectWaitMs: 5000,
      inventoryConcurrency: 200,
      distributedIntervalSeconds: 60,
      onlineWindowMs: 300_000,
      tlsHostname: "inventory.example.com:8443",
    });
  });

  it('when HOST="", then it counts as unset and the default is used', () => {
    expect(config({ HOST: "" }).server.host).toBe("127.0.0.1");
  });

  it("when HOST is only whitespace, then it counts as unset", () => {
    expect(config({ HOST: "   " }).server.host).toBe("127.0.0.1");
  });

  it("when several variables are bad, then there is one error per variable", () => {
    const result = errors({ PORT: "abc", HOST: "no spaces allowed", DATABASE_URL: "mysql://x", OSQUERY_TIMEOUT_MS: "5", COLLECT_SCHEDULE: "* * *", LOG_LEVEL: "loud" });
    expect(result.map((e) => e.split(":")[0]).sort()).toEqual(
      ["COLLECT_SCHEDULE", "DATABASE_URL", "HOST", "LOG_LEVEL", "OSQUERY_TIMEOUT_MS", "PORT"],
    );
  });

  it("when every variable is an empty string, then each counts as unset", () => {
    const empty = Object.fromEntries(
      ["PORT", "HOST", "DATABASE_URL", "DATA_DIR", "OSQUERY_BIN", "OSQUERY_TIMEOUT_MS", "OSQUERY_MAX_OUTPUT_BYTES", "OSQUERY_MAX_ROWS", "REDIS_URL", "COLLECT_SCHEDULE", "RETAIN_DAYS", "RETAIN_FAILED_DAYS", "LOG_LEVEL"].map(
        (name) => [name, ""],
      ),
    );
    expect(config(empty)).toEqual(config({}));
  });

  it("when a variable is undefined, then it counts as unset", () => {
    expect(config({ PORT: undefined, DATABASE_URL: undefined })).toEqual(config({}));
  });

  it("when unrelated variables are present, then they are ignored", () => {
    expect(config({ PATH: "/usr/bin", HOME: "/root", TERM: "xterm" })).toEqual(config({}));
  });
});
