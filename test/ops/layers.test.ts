/**
 * What may import what (README, "The map"): the kit imports nothing of ours; monitors import only
 * monitors and the kit; the privileged probe only itself, monitors and the kit; views are the
 * console's, imported by src/web alone; no import cycle between folders at the level of src/kit,
 * src/monitors, each entry of src/agent (a sub-folder or a top-level module), src/web, views and
 * the other top-level folders. A failure names each offending import with file and line, and a
 * cycle as its path.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");

/** One import of ours: the importing file, its line, the imported file (repo-relative). */
interface Edge {
  from: string;
  line: number;
  to: string;
  /** `import type` / `export type`: no run-time link, still a dependency of the design. */
  typeOnly?: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => relative(REPO, join(e.parentPath, e.name)))
    .sort();
}

// `import … from "x"`, `export … from "x"` (over several lines), `import "x"`, `import("x")`.
const SPECIFIERS = [/\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g];

/**
 * The relative specifiers a module imports, with their lines. Comments that open a line are
 * blanked first (a "/*" inside a string, such as a glob, is left alone).
 */
export function importsOf(text: string): { spec: string; line: number; typeOnly?: true }[] {
  const code = text.replace(/^\s*\/\*[\s\S]*?\*\//gm, (c) => c.replace(/[^\n]/g, " ")).replace(/^\s*\/\/.*$/gm, "");
  const out: { spec: string; line: number; typeOnly?: true }[] = [];
  for (const re of SPECIFIERS)
    for (const m of code.matchAll(re)) {
      if (!m[1]!.startsWith(".")) continue;
      out.push({ spec: m[1]!, line: code.slice(0, m.index).split("\n").length, ...(/^(import|export)\s+type\s/.test(m[0]) ? { typeOnly: true as const } : {}) });
    }
  return out.sort((a, b) => a.line - b.line);
}

/** Every import between our files; `x.js` names x.ts or x.tsx, whichever exists. */
function importEdges(files: readonly string[]): Edge[] {
  const known = new Set(files);
  return files.flatMap((from) =>
    importsOf(readFileSync(join(REPO, from), "utf8")).map(({ spec, line, typeOnly }) => {
      const to = relative(REPO, resolve(REPO, dirname(from), spec));
      const ts = to.replace(/\.js$/, ".ts");
      return { from, line, to: known.has(ts) ? ts : `${ts}x`, ...(typeOnly ? { typeOnly } : {}) };
    }),
  );
}

/**
 * The unit a file belongs to: src/kit, src/monitors, src/web, views, src/probe…; inside src/agent
 * each entry is its own unit (src/agent/alerts, src/agent/daemon), as the agent is a set of parts.
 */
export function unitOf(file: string): string {
  const parts = file.replace(/\.tsx?$/, "").split("/");
  if (parts[0] === "src" && parts[1] === "agent" && parts.length > 2) return parts.slice(0, 3).join("/");
  return parts[0] === "src" ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** The folder-level graph: unit → units it imports, with one file-level import as the witness. */
export function unitGraph(edges: readonly Edge[]): Map<string, Map<string, Edge>> {
  const g = new Map<string, Map<string, Edge>>();
  for (const e of edges) {
    const [a, b] = [unitOf(e.from), unitOf(e.to)];
    if (a === b) continue;
    if (!g.has(a)) g.set(a, new Map());
    const seen = g.get(a)!.get(b);
    if (!seen || (seen.typeOnly && !e.typeOnly)) g.get(a)!.set(b, e);
  }
  return g;
}

/**
 * One cycle per strongly connected group of units (Tarjan), written as its path with the import
 * that makes each step: `src/agent/compliance → views (src/agent/compliance/report.ts:22) → …`.
 */
export function cycles(g: ReadonlyMap<string, ReadonlyMap<string, Edge>>): string[] {
  const nodes = [...new Set([...g.keys(), ...[...g.values()].flatMap((m) => [...m.keys()])])].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of [...(g.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  // Per group, the shortest cycle through each of its units (a group may hold several cycles).
  const found = new Set<string>();
  for (const group of groups) for (const v of group.sort()) found.add(describePath(g, shortestCycle(g, group, v)));
  return [...found];
}

/** The shortest way from `start` back to itself, breadth first inside `group`. */
function shortestCycle(g: ReadonlyMap<string, ReadonlyMap<string, Edge>>, group: readonly string[], start: string): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0 && !prev.has(start)) {
    const v = queue.shift()!;
    for (const w of [...(g.get(v)?.keys() ?? [])].sort()) {
      if (!group.includes(w) || prev.has(w)) continue;
      prev.set(w, v);
      queue.push(w);
    }
  }
  const path = [start];
  for (let v = prev.get(start)!; v !== start; v = prev.get(v)!) path.unshift(v);
  path.unshift(start);
  // Written from its smallest unit, so the same cycle found from two units reads the same.
  const ring = path.slice(1);
  const first = ring.indexOf([...ring].sort()[0]!);
  const rotated = [...ring.slice(first), ...ring.slice(0, first)];
  return [...rotated, rotated[0]!];
}

function describePath(g: ReadonlyMap<string, ReadonlyMap<string, Edge>>, path: readonly string[]): string {
  return path
    .slice(1)
    .map((to, i) => {
      const e = g.get(path[i]!)!.get(to)!;
      return `${path[i]} → ${to} (${e.from}:${e.line}${e.typeOnly ? ", types only" : ""})`;
    })
    .join(", ");
}

const where = (e: Edge) => `${e.from}:${e.line} imports ${e.to}${e.typeOnly ? " (types only)" : ""}`;

const FILES = [...sourceFiles("src"), ...sourceFiles("views")];
const EDGES = importEdges(FILES);
const inUnit = (file: string, ...units: string[]) => units.some((u) => file === `${u}.ts` || file === `${u}.tsx` || file.startsWith(`${u}/`));

describe("what may import what", () => {
  it("finds the tree's imports (a parser that saw nothing would pass every rule)", () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(EDGES.length).toBeGreaterThan(300);
    for (const e of EDGES) expect(FILES, where(e)).toContain(e.to);
    expect(EDGES).toContainEqual(expect.objectContaining({ from: "src/cli.ts", to: "src/kit/errors.ts" }));
  });

  it("src/kit imports nothing of ours", () => {
    expect(EDGES.filter((e) => inUnit(e.from, "src/kit") && !inUnit(e.to, "src/kit")).map(where)).toEqual([]);
  });

  it("src/monitors imports only src/monitors and src/kit (never src/agent)", () => {
    expect(EDGES.filter((e) => inUnit(e.from, "src/monitors") && !inUnit(e.to, "src/monitors", "src/kit")).map(where)).toEqual([]);
  });

  it("src/probe (the privileged helper) imports only itself, the monitors' declarations and src/kit", () => {
    expect(EDGES.filter((e) => inUnit(e.from, "src/probe") && !inUnit(e.to, "src/probe", "src/monitors", "src/kit")).map(where)).toEqual([]);
  });

  it("src/agent never imports views/", () => {
    expect(EDGES.filter((e) => inUnit(e.from, "src/agent") && inUnit(e.to, "views")).map(where)).toEqual([]);
  });

  it("views/ are the console's: only src/web and views import them", () => {
    expect(EDGES.filter((e) => inUnit(e.to, "views") && !inUnit(e.from, "src/web", "views")).map(where)).toEqual([]);
  });

  it("src/web imports views/, src/agent, src/monitors (the contract's types) and src/kit", () => {
    expect(EDGES.filter((e) => inUnit(e.from, "src/web") && !inUnit(e.to, "src/web", "views", "src/agent", "src/monitors", "src/kit", "src/version")).map(where)).toEqual([]);
  });

  it("only src/kit/exec.ts starts processes (argument arrays, never a shell)", () => {
    const spawners = FILES.filter((f) => /["'](node:)?child_process["']/.test(readFileSync(join(REPO, f), "utf8")));
    expect(spawners).toEqual(["src/kit/exec.ts"]);
  });

  it("no import cycle between folders", () => {
    expect(cycles(unitGraph(EDGES))).toEqual([]);
  });
});

describe("the checker itself", () => {
  it("reads every form of import, over several lines, and skips comments and packages", () => {
    const text = [
      'import { a } from "./a.js";',
      "import {",
      "  b,",
      '} from "../b.js";',
      'import type { C } from "./c.js";',
      'export { d } from "./d.js";',
      'export * from "./e.js";',
      'import "./f.js";',
      'const g = await import("./g.js");',
      '// import { h } from "./h.js";',
      '/* import { i } from "./i.js"; */',
      'import { z } from "zod";',
      'import { readFile } from "node:fs";',
      'const glob = "src/**/*.ts";',
      'import { j } from "./j.js";',
    ].join("\n");
    expect(importsOf(text)).toEqual([
      { spec: "./a.js", line: 1 },
      { spec: "../b.js", line: 2 },
      { spec: "./c.js", line: 5, typeOnly: true },
      { spec: "./d.js", line: 6 },
      { spec: "./e.js", line: 7 },
      { spec: "./f.js", line: 8 },
      { spec: "./g.js", line: 9 },
      { spec: "./j.js", line: 15 },
    ]);
  });

  it("groups files into units: each entry of src/agent, the other folders whole", () => {
    expect(unitOf("src/agent/alerts/engine.ts")).toBe("src/agent/alerts");
    expect(unitOf("src/agent/daemon.ts")).toBe("src/agent/daemon");
    expect(unitOf("src/monitors/firewall/parse-ufw.ts")).toBe("src/monitors");
    expect(unitOf("src/web/routes/pages.tsx")).toBe("src/web");
    expect(unitOf("views/reports/scorecard.tsx")).toBe("views");
    expect(unitOf("src/cli.ts")).toBe("src/cli");
  });

  it("reports a cycle as its path with the imports that make it, and nothing for a layered graph", () => {
    const e = (from: string, to: string, line = 1): Edge => ({ from, to, line });
    const cyclic = [
      e("src/agent/compliance/report.ts", "views/reports/evidence-report.tsx", 22),
      e("views/reports/evidence-report.tsx", "src/agent/compliance/report.ts", 8),
      e("src/web/app.tsx", "views/pages/auth.tsx"),
      e("src/agent/alerts/engine.ts", "src/kit/log.ts"),
    ];
    expect(cycles(unitGraph(cyclic))).toEqual([
      "src/agent/compliance → views (src/agent/compliance/report.ts:22), views → src/agent/compliance (views/reports/evidence-report.tsx:8)",
    ]);
    const three = [e("src/kit/a.ts", "src/monitors/b.ts"), e("src/monitors/b.ts", "src/agent/x/c.ts"), e("src/agent/x/c.ts", "src/kit/a.ts"), e("src/web/w.ts", "src/kit/a.ts")];
    expect(cycles(unitGraph(three))).toEqual(["src/agent/x → src/kit (src/agent/x/c.ts:1), src/kit → src/monitors (src/kit/a.ts:1), src/monitors → src/agent/x (src/monitors/b.ts:1)"]);
    expect(cycles(unitGraph(cyclic.slice(1)))).toEqual([]);
    // Imports inside one unit are not a cycle between folders.
    expect(cycles(unitGraph([e("src/web/a.ts", "src/web/b.ts"), e("src/web/b.ts", "src/web/a.ts")]))).toEqual([]);
  });
});
