/**
 * An osqueryd simulator for the fleet server's tests and benchmarks: simulated hosts (tables, inventories,
 * churn) and agents that speak osquery's TLS remote API as osqueryd does. It imports nothing from src/.
 * See README.md.
 */
export { createAgent, FLEET_ENDPOINTS, type Agent, type AgentOptions, type HostIdentifierMode } from "./agent.js";
export { bumpVersion, createCatalog, type Catalog } from "./catalog.js";
export { createFleet, createLimiter, platformOf, type AgentSettings, type Fleet, type FleetOptions } from "./fleet.js";
export { churnRates, createSimulatedHost, selectStarColumns, type ChurnRates, type ChurnReport, type HostOptions, type SimulatedHost } from "./host.js";
export { JsonObject, parseJson, toPlain, writeJson, type JsonValue } from "./json.js";
export { asciiTime, Severity } from "./log-lines.js";
export { castVariant, runSql, type SqlResult, type SqlRow, type SqlTables } from "./sql.js";
export { createStats, ENDPOINTS, mergeReports, reportBetween, reportOf, type AgentStats, type Endpoint, type StatsReport } from "./stats.js";
export { PLATFORMS, softwareTableOf, softwareTablesOf, tableSpecs, type ColumnSpec, type Platform, type SoftwareTable } from "./tables.js";
export { createTransport, OSQUERY_TLS12_CIPHERS, type Transport, type TransportOptions } from "./transport.js";
export { atLeast, featuresOf } from "./version.js";
