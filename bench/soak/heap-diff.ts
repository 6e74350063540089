/**
 * Compares two heap snapshots of one process (the soak writes them with SOAK_HEAP_SNAPSHOTS): which
 * kinds of object grew in count and size from the first to the second, and, for the kinds that grew
 * most, what keeps a few of the objects that are new in the second alive (the shortest path from the
 * GC roots, as DevTools' "Retainers" shows it). Node ids are stable within one process, so "new" means
 * an id the first snapshot did not have.
 *
 * Run: npm run bench:heap-diff -- first.heapsnapshot second.heapsnapshot [kinds to trace, default 6] [per]
 * With `per` (e.g. the number of subscribers connected between the two), the growth is also shown
 * divided by it: bytes per subscriber, kind by kind.
 */
import { readFile } from "node:fs/promises";

interface RawSnapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] };
    node_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Heap {
  nodeCount: number;
  typeOf(node: number): string;
  nameOf(node: number): string;
  idOf(node: number): number;
  sizeOf(node: number): number;
  /** The node's outgoing edges: [edge type, edge name, target node]. */
  edgesOf(node: number): [string, string, number][];
}

async function load(path: string): Promise<Heap> {
  const raw = JSON.parse(await readFile(path, "utf8")) as RawSnapshot;
  const { meta } = raw.snapshot;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const field = (fields: string[], name: string) => {
    const index = fields.indexOf(name);
    if (index < 0) throw new Error(`${path}: no ${name} field in the snapshot's meta`);
    return index;
  };
  const [nType, nName, nId, nSize, nEdges] = ["type", "name", "id", "self_size", "edge_count"].map((f) => field(meta.node_fields, f)) as [number, number, number, number, number];
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => field(meta.edge_fields, f)) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const nodeCount = raw.nodes.length / nodeWidth;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0; n < nodeCount; n++) firstEdge[n + 1] = firstEdge[n]! + raw.nodes[n * nodeWidth + nEdges]!;
  return {
    nodeCount,
    typeOf: (n) => nodeTypes[raw.nodes[n * nodeWidth + nType]!]!,
    nameOf: (n) => raw.strings[raw.nodes[n * nodeWidth + nName]!]!,
    idOf: (n) => raw.nodes[n * nodeWidth + nId]!,
    sizeOf: (n) => raw.nodes[n * nodeWidth + nSize]!,
    edgesOf(n) {
      const out: [string, string, number][] = [];
      for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
        const base = e * edgeWidth;
        const type = edgeTypes[raw.edges[base + eType]!]!;
        const nameOrIndex = raw.edges[base + eName]!;
        const name = type === "element" || type === "hidden" ? `[${nameOrIndex}]` : String(raw.strings[nameOrIndex]);
        out.push([type, name, raw.edges[base + eTo]! / nodeWidth]);
      }
      return out;
    },
  };
}

/** What DevTools' summary groups by: the constructor for objects, the kind for the rest. */
function kindOf(heap: Heap, node: number): string {
  const type = heap.typeOf(node);
  if (type === "object" || type === "closure") return `${type === "closure" ? "closure " : ""}${heap.nameOf(node) || "(anonymous)"}`;
  return `(${type})`;
}

interface Group {
  count: number;
  bytes: number;
}

function summarize(heap: Heap): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (let n = 0; n < heap.nodeCount; n++) {
    const kind = kindOf(heap, n);
    const group = groups.get(kind) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += heap.sizeOf(n);
    groups.set(kind, group);
  }
  return groups;
}

/** The shortest strong path from the root (node 0) to every node: the edge it was reached by. */
function shortestRetainers(heap: Heap): { parent: Int32Array; via: string[] } {
  const parent = new Int32Array(heap.nodeCount).fill(-1);
  const via: string[] = new Array<string>(heap.nodeCount);
  parent[0] = 0;
  let frontier = [0];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const node of frontier) {
      for (const [type, name, to] of heap.edgesOf(node)) {
        if (type === "weak" || type === "shortcut" || parent[to] !== -1) continue;
        parent[to] = node;
        via[to] = name;
        next.push(to);
      }
    }
    frontier = next;
  }
  return { parent, via };
}

function pathTo(heap: Heap, retainers: { parent: Int32Array; via: string[] }, node: number, maxSteps = 14): string {
  const steps: string[] = [];
  for (let n = node, i = 0; n !== 0 && i < maxSteps; i++) {
    const up = retainers.parent[n]!;
    if (up < 0) return `${kindOf(heap, node)} (unreachable: kept only by weak edges)`;
    steps.push(`${kindOf(heap, up)}.${retainers.via[n]}`);
    n = up;
  }
  return [kindOf(heap, node), ...steps].join("  <-  ");
}

async function main(): Promise<void> {
  const [firstPath, secondPath, traceText, perText] = process.argv.slice(2);
  if (!firstPath || !secondPath) throw new Error("usage: heap-diff.ts first.heapsnapshot second.heapsnapshot [kinds to trace] [per]");
  const traced = Number(traceText ?? 6);
  const per = perText === undefined ? null : Number(perText);
  if (per !== null && !(Number.isInteger(per) && per > 0)) throw new Error(`per must be a positive whole number (got "${perText}")`);
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const first = await load(firstPath);
  const before = summarize(first);
  const firstIds = new Set<number>();
  for (let n = 0; n < first.nodeCount; n++) firstIds.add(first.idOf(n));
  const second = await load(secondPath);
  const after = summarize(second);
  const total = (groups: Map<string, Group>) => [...groups.values()].reduce((sum, g) => sum + g.bytes, 0);
  out(`${firstPath}: ${first.nodeCount.toLocaleString("en-US")} objects, ${(total(before) / 1024 / 1024).toFixed(1)} MB`);
  out(`${secondPath}: ${second.nodeCount.toLocaleString("en-US")} objects, ${(total(after) / 1024 / 1024).toFixed(1)} MB`);
  out();

  const rows = [...new Set([...before.keys(), ...after.keys()])].map((kind) => {
    const a = before.get(kind) ?? { count: 0, bytes: 0 };
    const b = after.get(kind) ?? { count: 0, bytes: 0 };
    return { kind, count: b.count - a.count, bytes: b.bytes - a.bytes, countAfter: b.count, bytesAfter: b.bytes };
  });
  const grown = rows.filter((r) => r.bytes > 0 || r.count > 0).sort((x, y) => y.bytes - x.bytes);
  out("grew most (bytes of the objects themselves, not what they hold):");
  out(`  Δ KB      Δ count     now KB      now count${per ? "  B each n each" : ""}  kind`);
  for (const r of grown.slice(0, 30)) {
    const each = per ? `  ${(r.bytes / per).toFixed(0).padStart(6)}  ${(r.count / per).toFixed(1).padStart(5)}` : "";
    out(`  ${(r.bytes / 1024).toFixed(1).padStart(8)}  ${String(r.count).padStart(9)}  ${(r.bytesAfter / 1024).toFixed(1).padStart(9)}  ${String(r.countAfter).padStart(12)}${each}  ${r.kind}`);
  }
  if (per) out(`  in all: ${((total(after) - total(before)) / per).toFixed(0)} B per ${per === 1 ? "unit" : `one of ${per}`}`);
  const shrunk = rows.filter((r) => r.bytes < 0).sort((x, y) => x.bytes - y.bytes);
  out();
  out(`shrank: ${shrunk.slice(0, 8).map((r) => `${r.kind} ${(r.bytes / 1024).toFixed(1)} KB`).join(", ") || "nothing"}`);

  const retainers = shortestRetainers(second);
  for (const r of grown.filter((g) => g.count > 0).slice(0, traced)) {
    const fresh: number[] = [];
    for (let n = 0; n < second.nodeCount && fresh.length < 2000; n++) if (kindOf(second, n) === r.kind && !firstIds.has(second.idOf(n))) fresh.push(n);
    out();
    out(`${r.kind}: +${r.count} (${fresh.length >= 2000 ? "2,000+" : fresh.length} new objects); shortest retainer paths of a few new ones, grouped:`);
    const paths = new Map<string, number>();
    for (const n of fresh) {
      const path = pathTo(second, retainers, n).replace(/\[\d+\]/g, "[n]");
      paths.set(path, (paths.get(path) ?? 0) + 1);
    }
    for (const [path, n] of [...paths].sort(([, a], [, b]) => b - a).slice(0, 4)) out(`  ${n}×  ${path}`);
    if (r.kind === "(string)" || r.kind === "(concatenated string)") {
      // A string node's name is its text: the text usually says whose it is.
      const texts = new Map<string, number>();
      for (const n of fresh) {
        const text = second.nameOf(n).slice(0, 80).replace(/[0-9a-f]{8,}/gi, "<hex>").replace(/\d+/g, "<n>");
        texts.set(text, (texts.get(text) ?? 0) + 1);
      }
      out(`  texts of the new ones, most common first: ${[...texts].sort(([, a], [, b]) => b - a).slice(0, 12).map(([t, n]) => `${n}× ${JSON.stringify(t)}`).join(", ")}`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`heap-diff failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
