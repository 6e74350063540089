import { createCatalog } from "./test/helpers/agent-simulator/catalog.ts";
import { runSql } from "./test/helpers/agent-simulator/sql.ts";
import { tableSpecs, softwareTableOf } from "./test/helpers/agent-simulator/tables.ts";
for (const p of ["darwin","ubuntu","rhel","windows"] as const) {
  const c = createCatalog(p);
  const host = { salt: 7, user: "anna", osqueryVersion: "5.23.1" };
  for (let i = 0; i < 9000; i++) c.row(i, 1, host);
  let t = performance.now();
  let rows: any[] = [];
  for (let k = 0; k < 5; k++) { rows = []; for (let i = 200; i < 2200; i++) rows.push(c.row(i, 1, host)); }
  const a = (performance.now() - t) / 5;
  const specs = tableSpecs(p); const table = softwareTableOf(p);
  const tables = { columns: (t: string) => specs.get(t), rows: () => rows };
  for (let k = 0; k < 3; k++) runSql(`SELECT * FROM ${table}`, tables);
  t = performance.now();
  for (let k = 0; k < 5; k++) runSql(`SELECT * FROM ${table}`, tables);
  const b = (performance.now() - t) / 5;
  t = performance.now();
  for (let k = 0; k < 5; k++) runSql(`SELECT name, version FROM ${table} WHERE name LIKE '%a%'`, tables);
  const d = (performance.now() - t) / 5;
  console.log(p, "rows", a.toFixed(1), "select*", b.toFixed(1), "select2", d.toFixed(1));
}
