// Import cost: what loading one module adds to a fresh Node process's resident memory. Each module
// is imported alone in its own `node --expose-gc` child (3 runs, median): resident set and V8 heap
// after two full GCs, before and after the import. The figures do not depend on CPU speed, so they
// hold on a loaded machine. Our own modules are measured as compiled (dist/), with what they import.
// Alone, each module also pays what any first import pays (node's HTTP stack, the ESM loader,
// malloc and new-space growth), so `importChain` adds them one after the other in the daemon's
// order: each step's figure is what that module adds to a process that already has the ones above.
//
//   node test/bench/import-cost.mjs             the table (after `npm run build`)
//   node test/bench/import-cost.mjs zod yaml    only these specifiers
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dist, fmt, median } from "./lib.mjs";

const here = fileURLToPath(import.meta.url);

/** Third-party packages the daemon or a command loads, each as the daemon imports it. */
export const PACKAGES = [
  "zod",
  "zod/mini",
  "yaml",
  "hono",
  "@hono/node-server",
  "better-sqlite3",
  "pino",
  "node-cron",
  "argon2",
  "otpauth",
  "mqtt",
  "nodemailer",
  "prom-client",
  "qrcode",
  "systeminformation",
  "reflect-metadata,@peculiar/x509",
];

/** Our entry points, cumulative (each with everything it imports), as compiled under dist/src. */
export const OWN = [
  "agent/config/load.js",
  "monitors/index.js",
  "agent/store/db.js",
  "web/server.js",
  "agent/daemon.js",
  "commands/index.js",
];

const ownUrl = (p) => pathToFileURL(join(dist, "src", p)).href;

function vmRssKiB() {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))[1]);
}

/** `gatehouse serve`'s imports in the order the daemon's start needs them, for `importChain`. */
export const DAEMON_ORDER = ["hono", "@hono/node-server", "better-sqlite3", "pino", "node-cron", "yaml", "zod", "mqtt", "own:agent/config/load.js", "own:agent/agent.js", "own:web/server.js", "own:agent/daemon.js", "own:commands/serve.js"];

/** In the child: import `specs` (comma-separated, in order) and print the before/after figures (`steps`: after each). */
async function child(specs, steps = false) {
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await settle();
  const m0 = process.memoryUsage();
  const r0 = vmRssKiB();
  const each = [];
  for (const s of specs.split(",").filter(Boolean)) {
    await import(s.startsWith("own:") ? ownUrl(s.slice(4)) : s);
    if (steps) {
      await settle();
      each.push({ spec: s, rssKiB: vmRssKiB(), heapUsedKiB: process.memoryUsage().heapUsed / 1024 });
    }
  }
  if (steps) return process.stdout.write(JSON.stringify({ base: { rssKiB: r0, heapUsedKiB: m0.heapUsed / 1024 }, each }));
  await settle();
  const m1 = process.memoryUsage();
  const r1 = vmRssKiB();
  process.stdout.write(
    JSON.stringify({
      baseRssKiB: r0,
      rssKiB: r1 - r0,
      heapUsedKiB: (m1.heapUsed - m0.heapUsed) / 1024,
      externalKiB: (m1.external - m0.external) / 1024,
    }),
  );
}

/** Median over `runs` fresh children of the import cost of `spec` ("" = nothing: the bare process). */
export function importCost(spec, runs = 3) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["--expose-gc", here, "--child", spec], { cwd: join(here, "../../.."), encoding: "utf8", timeout: 60_000 });
    xs.push(JSON.parse(out));
  }
  const pick = (k) => median(xs.map((x) => x[k]));
  return { spec, baseRssKiB: pick("baseRssKiB"), rssKiB: pick("rssKiB"), heapUsedKiB: pick("heapUsedKiB"), externalKiB: pick("externalKiB") };
}

/** What each of `specs` adds, imported one after the other into one process; medians of `runs`. */
export function importChain(specs = DAEMON_ORDER, runs = 3) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["--expose-gc", here, "--chain", specs.join(",")], { cwd: join(here, "../../.."), encoding: "utf8", timeout: 120_000 });
    xs.push(JSON.parse(out));
  }
  return specs.map((spec, i) => {
    const step = (x, k) => x.each[i][k] - (i ? x.each[i - 1][k] : x.base[k]);
    return { spec: spec.replace(/^own:/, "dist/src/"), rssKiB: median(xs.map((x) => step(x, "rssKiB"))), heapUsedKiB: median(xs.map((x) => step(x, "heapUsedKiB"))), totalKiB: median(xs.map((x) => x.each[i].rssKiB)) };
  });
}

/** Markdown lines for `importChain`. */
export function importChainLines(rows) {
  const MiB = (k) => fmt(k / 1024);
  return [
    "| imported next, in the daemon's order | RSS added, MiB | V8 heap used added, MiB | process RSS after, MiB |",
    "|---|---|---|---|",
    ...rows.map((r) => `| \`${r.spec}\` | ${MiB(r.rssKiB)} | ${MiB(r.heapUsedKiB)} | ${MiB(r.totalKiB)} |`),
  ];
}

/** The whole table: packages, then our entry points. Returns rows {spec, rssKiB, heapUsedKiB, externalKiB}. */
export function importCostTable({ packages = PACKAGES, own = OWN, runs = 3 } = {}) {
  const rows = [];
  for (const p of packages) rows.push(importCost(p, runs));
  for (const o of own) rows.push({ ...importCost(`own:${o}`, runs), spec: `dist/src/${o}` });
  return rows;
}

/** Markdown lines for the table. */
export function importCostLines(rows) {
  const MiB = (k) => fmt(k / 1024);
  return [
    "| module (imported alone into a fresh node) | RSS added, MiB | V8 heap used added, MiB | external added, MiB |",
    "|---|---|---|---|",
    ...rows.map((r) => `| \`${r.spec.replace(/,/g, " + ")}\` | ${MiB(r.rssKiB)} | ${MiB(r.heapUsedKiB)} | ${MiB(r.externalKiB)} |`),
  ];
}

if (process.argv[2] === "--child" || process.argv[2] === "--chain") {
  await child(process.argv[3] ?? "", process.argv[2] === "--chain");
} else if (process.argv[1] === here) {
  const args = process.argv.slice(2);
  const bare = importCost("");
  console.log(`fresh node ${process.version} (nothing imported): RSS ${fmt(bare.baseRssKiB / 1024)} MiB`);
  const rows = args.length ? args.map((a) => (a.endsWith(".js") ? { ...importCost(`own:${a}`), spec: `dist/src/${a}` } : importCost(a))) : importCostTable();
  console.log(importCostLines(rows).join("\n"));
  if (!args.length) console.log(["", ...importChainLines(importChain())].join("\n"));
}
