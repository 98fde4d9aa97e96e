// Footprint: resident memory and CPU of `gatehouse serve` with every monitor enabled, through its
// first full check cycle and then idle for a minute after warm-up; beside, in the same window on
// the same machine: a bare hono + better-sqlite3 process (the floor for any Node agent), Debian's
// monit with comparable checks, and prometheus-node-exporter. All four run at the same time.
//
// GH_BENCH_HEAP_PROF=DIR adds --heap-prof to the Gatehouse child (written to DIR on exit).
//
// `footprintFlags` (issue 17): idle RSS of `serve` on the demo config under each candidate V8 /
// allocator setting, beside the bare anchor, `GH_BENCH_FLAG_ROUNDS` rounds (default 3), median.
// Run alone: `node test/bench/footprint.mjs` prints the footprint, the flag comparison and the
// per-module import-cost table (import-cost.mjs); `--flags` or `--imports` prints only that part.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  anchor,
  checksDone,
  cleanDir,
  cpuMs,
  fmt,
  freePort,
  hwmKiB,
  importDist,
  median,
  QUICK,
  ratio,
  root,
  rssKiB,
  rssSplitKiB,
  sleep,
  start,
  startGatehouse,
  startMonit,
  stop,
  tempDir,
  waitForHttp,
  writeAllMonitorsConfig,
  writeMonitrc,
} from "./lib.mjs";
import { importChain, importChainLines, importCost, importCostLines, importCostTable } from "./import-cost.mjs";

const IDLE_MS = QUICK ? 10_000 : 60_000;

export async function footprint(notes = []) {
  const dir = tempDir("fp");
  const procs = [];
  try {
    const [ghPort, barePort, monitPort, nePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const { file, ids } = await writeAllMonitorsConfig(dir, { port: ghPort });
    const nodeArgs = process.env.GH_BENCH_HEAP_PROF ? ["--heap-prof", `--heap-prof-dir=${process.env.GH_BENCH_HEAP_PROF}`] : [];
    // Experiments (never the default): extra node flags for BOTH Node processes, e.g. "--max-semi-space-size=1".
    const expArgs = (process.env.GH_BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
    nodeArgs.push(...expArgs);
    if (expArgs.length) notes.push(`- footprint: experiment, both Node processes ran with \`${expArgs.join(" ")}\`${process.env.MALLOC_ARENA_MAX ? ` and MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}` : ""}.`);

    const subjects = [];
    const gh = startGatehouse(file, { env: { GATEHOUSE_LOG_LEVEL: "info" }, nodeArgs });
    procs.push(gh);
    subjects.push({ key: "gh", name: `gatehouse serve (${ids.length} monitors: ${ids.join(", ")})`, proc: gh, url: `http://127.0.0.1:${ghPort}/` , health: `http://127.0.0.1:${ghPort}/healthz` });
    const bare = start(process.execPath, [...expArgs, join(root, "test/bench/anchors/bare-hono-sqlite.mjs"), String(barePort)]);
    procs.push(bare);
    subjects.push({ key: "bare", name: "bare hono + better-sqlite3", proc: bare, url: `http://127.0.0.1:${barePort}/`, health: `http://127.0.0.1:${barePort}/healthz` });
    if (anchor("monit", notes)) {
      const monit = startMonit(writeMonitrc(dir, { port: monitPort, interval: 30 }));
      procs.push(monit);
      subjects.push({ key: "monit", name: "monit 30 s cycle, comparable checks", proc: monit, url: `http://127.0.0.1:${monitPort}/`, health: `http://127.0.0.1:${monitPort}/` });
    }
    const neBin = anchor("node-exporter", notes);
    if (neBin) {
      const ne = start(neBin, [`--web.listen-address=127.0.0.1:${nePort}`]);
      procs.push(ne);
      subjects.push({ key: "ne", name: "prometheus-node-exporter (default collectors)", proc: ne, url: `http://127.0.0.1:${nePort}/metrics`, health: `http://127.0.0.1:${nePort}/metrics` });
    }

    // Start-up and Gatehouse's first full check cycle (serve runs every monitor once at start).
    const t0 = Date.now();
    const cpu0 = cpuMs(gh.pid);
    let peakCycle = 0;
    while (checksDone(gh) < ids.length) {
      if (gh.exitCode !== null) throw new Error(`gatehouse serve exited ${gh.exitCode}: ${gh.stderrText() || gh.stdoutText().slice(-2000)}`);
      if (Date.now() - t0 > 180_000) throw new Error(`check cycle did not finish in 180 s (${checksDone(gh)}/${ids.length} monitors)`);
      peakCycle = Math.max(peakCycle, rssKiB(gh.pid));
      await sleep(100);
    }
    const cycle = { wallMs: Date.now() - t0, cpuMs: cpuMs(gh.pid) - cpu0, peakRssKiB: Math.max(peakCycle, hwmKiB(gh.pid)) };

    // The same daemon as the shipped unit runs it (node flags and allocator variables of
    // systemd/gatehouse.service), started after the first one's cycle, idle in the same window.
    const unit = unitSettings();
    const unitDir = join(dir, "unit");
    mkdirSync(unitDir);
    const unitPort = await freePort();
    const unitCfg = await writeAllMonitorsConfig(unitDir, { port: unitPort });
    const ghUnit = startGatehouse(unitCfg.file, { env: { GATEHOUSE_LOG_LEVEL: "info", ...unit.env }, nodeArgs: [...nodeArgs, ...unit.nodeArgs] });
    procs.push(ghUnit);
    subjects.push({ key: "ghUnit", name: `gatehouse serve as the unit runs it (${[...unit.nodeArgs, ...Object.entries(unit.env).map(([k, v]) => `${k}=${v}`)].join(" ")})`, proc: ghUnit, url: `http://127.0.0.1:${unitPort}/`, health: `http://127.0.0.1:${unitPort}/healthz` });
    const t1 = Date.now();
    while (checksDone(ghUnit) < unitCfg.ids.length) {
      if (ghUnit.exitCode !== null) throw new Error(`gatehouse serve (unit settings) exited ${ghUnit.exitCode}: ${ghUnit.stderrText()}`);
      if (Date.now() - t1 > 180_000) throw new Error("check cycle (unit settings) did not finish in 180 s");
      await sleep(100);
    }

    for (const s of subjects) await waitForHttp(s.health, 30_000, s.proc);
    // Warm-up: 50 requests each (Gatehouse's page may be a login page or a redirect to it).
    for (const s of subjects) for (let i = 0; i < 50; i++) await (await fetch(s.url, { redirect: "manual" })).arrayBuffer();
    await sleep(QUICK ? 2000 : 5000);

    // Idle window: every subject sampled once a second, CPU from /proc at both ends.
    const cpuStart = Object.fromEntries(subjects.map((s) => [s.key, cpuMs(s.proc.pid)]));
    const samples = Object.fromEntries(subjects.map((s) => [s.key, []]));
    const tIdle = Date.now();
    while (Date.now() - tIdle < IDLE_MS) {
      for (const s of subjects) samples[s.key].push(rssKiB(s.proc.pid));
      await sleep(1000);
    }
    const idleMs = Date.now() - tIdle;
    const result = { cycle, idleMs, subjects: {} };
    for (const s of subjects) {
      result.subjects[s.key] = {
        name: s.name,
        rssKiB: median(samples[s.key]),
        maxRssKiB: Math.max(...samples[s.key]),
        cpuPct: ((cpuMs(s.proc.pid) - cpuStart[s.key]) / idleMs) * 100,
      };
    }
    return result;
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    if (procs[0]?.stuckOnStop) notes.push("- footprint: `gatehouse serve` logged \"gatehouse stopped\" but did not exit within 5 s of SIGTERM until its `nft monitor ruleset` child (firewall watch) was signalled: the watch's child keeps the process alive (see report).");
    cleanDir(dir);
  }
}

// ---- issue 17: V8 / allocator settings and import costs

/**
 * The memory settings the shipped unit gives node: the flags between `node` and the script on
 * ExecStart, and the MALLOC_* / UV_THREADPOOL_SIZE / GLIBC_TUNABLES variables of Environment=, read from
 * systemd/gatehouse.service so the bench measures what ships.
 */
export function unitSettings(unitFile = join(root, "systemd/gatehouse.service")) {
  const text = readFileSync(unitFile, "utf8");
  const exec = /^ExecStart=(\S*node)\s+(.*)$/m.exec(text);
  const nodeArgs = [];
  for (const w of exec ? exec[2].split(/\s+/) : []) {
    if (!w.startsWith("--")) break;
    nodeArgs.push(w);
  }
  const env = {};
  for (const m of text.matchAll(/^Environment=(.*)$/gm)) {
    for (const kv of m[1].split(/\s+/)) {
      const [k, v] = kv.split("=");
      if (/^(MALLOC_|UV_THREADPOOL_SIZE$|GLIBC_TUNABLES$)/.test(k)) env[k] = v;
    }
  }
  return { nodeArgs, env };
}

/** The candidate settings compared by `footprintFlags` (one `serve` each, same demo config). */
export function flagVariants() {
  const unit = unitSettings();
  const label = (v) => [...v.nodeArgs, ...Object.entries(v.env).map(([k, x]) => `${k}=${x}`)].join(" ") || "node defaults";
  const list = [
    { nodeArgs: [], env: {} },
    { nodeArgs: ["--max-semi-space-size=1"], env: {} },
    { nodeArgs: [], env: { MALLOC_ARENA_MAX: "2" } },
    { nodeArgs: ["--max-semi-space-size=1"], env: { MALLOC_ARENA_MAX: "2" } },
    { nodeArgs: ["--v8-pool-size=1"], env: {} },
    { nodeArgs: ["--single-threaded-gc"], env: {} },
    { nodeArgs: ["--max-old-space-size=64"], env: {} },
    { nodeArgs: ["--optimize-for-size"], env: {} },
    { nodeArgs: ["--lite-mode"], env: {} },
    { nodeArgs: [], env: { UV_THREADPOOL_SIZE: "2" } },
    { nodeArgs: ["--max-semi-space-size=1", "--v8-pool-size=1"], env: { MALLOC_ARENA_MAX: "2" } },
    { nodeArgs: ["--max-semi-space-size=1", "--v8-pool-size=1", "--optimize-for-size"], env: { MALLOC_ARENA_MAX: "2" } },
    unit,
  ];
  // GH_BENCH_FLAG_VARIANTS=unit: only node's defaults and the unit's settings (e.g. to compare two builds).
  if (process.env.GH_BENCH_FLAG_VARIANTS === "unit") list.splice(1, list.length - 2);
  const seen = new Set();
  const out = list.map((v) => ({ ...v, label: label(v), unit: label(v) === label(unit) })).filter((v) => !seen.has(v.label) && seen.add(v.label));
  // GH_BENCH_FLAG_OTHER_DIST=DIR: the unit's settings on another build too (e.g. one with a lazy import), same rounds.
  const other = process.env.GH_BENCH_FLAG_OTHER_DIST;
  if (other) out.push({ ...unit, label: `${label(unit)}, build ${other}`, cliPath: join(other, "src/cli.js") });
  return out;
}

/** demo/gatehouse.yaml with its own data dir and port; returns the file and its monitor count. */
async function writeDemoConfig(dir, port) {
  const text = readFileSync(join(root, "demo/gatehouse.yaml"), "utf8")
    .replace(/^data_dir: .*$/m, `data_dir: ${join(dir, "data")}`)
    .replace(/listen: "[^"]*"/, `listen: "127.0.0.1:${port}"`);
  const file = join(dir, "gatehouse.yaml");
  writeFileSync(file, text);
  const { parseConfigText } = await importDist("agent/config/load.js");
  return { file, monitors: parseConfigText(text, file).monitors.length };
}

/** Starts one subject of `footprintFlags` (bare anchor or serve), waits for its start-up checks and warms it up. */
async function startSubject(s, dir) {
  const port = await freePort();
  if (s.bare) {
    s.proc = start(process.execPath, [...s.nodeArgs, join(root, "test/bench/anchors/bare-hono-sqlite.mjs"), String(port)], { env: { ...process.env, ...s.env } });
  } else {
    const sub = join(dir, s.key);
    mkdirSync(sub, { recursive: true });
    const { file, monitors } = await writeDemoConfig(sub, port);
    s.proc = startGatehouse(file, { nodeArgs: s.nodeArgs, env: s.env, ...(s.cliPath ? { cliPath: s.cliPath } : {}) });
    const t0 = Date.now();
    while (checksDone(s.proc) < monitors) {
      if (s.proc.exitCode !== null) throw new Error(`serve exited ${s.proc.exitCode}: ${s.proc.stderrText().slice(-1000)}`);
      if (Date.now() - t0 > 180_000) throw new Error("start-up checks not done in 180 s");
      await sleep(200);
    }
  }
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(`${url}healthz`, 30_000, s.proc);
  for (let i = 0; i < 50; i++) await (await fetch(url, { redirect: "manual" })).arrayBuffer();
}

/**
 * Idle RSS of `serve` on the demo config under each of `variants`, beside the bare anchor with
 * node's defaults and with the unit's settings. Each round starts the processes one after the
 * other (each serve's start-up check cycle done before the next starts: two cores are shared),
 * then samples every one once a second for 10 s after the last has been up `idleMs`; the figure
 * is the median over rounds of each round's median. RSS does not depend on CPU speed.
 */
export async function footprintFlags(notes = [], { variants = flagVariants(), rounds = Number(process.env.GH_BENCH_FLAG_ROUNDS ?? (QUICK ? 1 : 3)), idleMs = IDLE_MS } = {}) {
  const unit = variants.find((v) => v.unit) ?? unitSettings();
  const subjects = [
    { key: "bare", label: "bare hono + better-sqlite3, node defaults", bare: true, nodeArgs: [], env: {} },
    { key: "bare-unit", label: `bare hono + better-sqlite3, ${unit.label ?? "unit settings"}`, bare: true, nodeArgs: unit.nodeArgs, env: unit.env },
    ...variants.map((v, i) => ({ key: `v${i}`, ...v, label: `serve, ${v.label}${v.unit ? " (the unit's settings)" : ""}` })),
  ];
  const per = Object.fromEntries(subjects.map((s) => [s.key, []]));
  const anon = Object.fromEntries(subjects.map((s) => [s.key, []]));
  for (let round = 0; round < rounds; round++) {
    const dir = tempDir("fpflags");
    try {
      let lastStart = 0;
      for (const s of subjects) {
        if (s.failed) continue;
        try {
          await startSubject(s, dir);
        } catch (e) {
          // A setting that breaks the daemon is a result too (e.g. --lite-mode has no WebAssembly: fetch fails).
          const lines = String(e.message ?? e).split("\n");
          s.failed = lines.find((l) => /^\w*Error\b/.test(l.trim()))?.trim() ?? lines[0].slice(0, 200);
          await stop(s.proc);
        }
        lastStart = Date.now();
      }
      await sleep(Math.max(0, idleMs - (Date.now() - lastStart)));
      const samples = Object.fromEntries(subjects.map((s) => [s.key, []]));
      const live = subjects.filter((s) => !s.failed);
      for (let i = 0; i < 10; i++) {
        for (const s of live) samples[s.key].push(rssKiB(s.proc.pid));
        await sleep(1000);
      }
      for (const s of live) per[s.key].push(median(samples[s.key]));
      for (const s of live) anon[s.key].push(rssSplitKiB(s.proc.pid).anon);
    } finally {
      await Promise.all(subjects.map((s) => stop(s.proc)));
      cleanDir(dir);
    }
  }
  const bare = median(per.bare);
  notes.push(`- footprint flags: ${rounds} round(s), RSS sampled 10 s after every process had been idle ${fmt(idleMs / 1000, 0)} s (processes started one after the other, each serve after the previous one's start-up checks).`);
  return subjects.map((s) => ({ label: s.label, unit: !!s.unit, bare: !!s.bare, failed: s.failed, rssKiB: per[s.key].length ? median(per[s.key]) : NaN, anonKiB: anon[s.key].length ? median(anon[s.key]) : NaN, runsKiB: per[s.key], x: median(per[s.key]) / bare }));
}

/** Markdown lines for the flag comparison. */
export function flagLines(rows) {
  return [
    "| process, settings | idle RSS MiB (median of rounds) | rounds | ÷ bare, node defaults | of which anonymous (RssAnon) MiB | anonymous ÷ bare's |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.label} | ${r.failed ? `failed: ${r.failed}` : fmt(r.rssKiB / 1024)} | ${r.runsKiB.map((k) => fmt(k / 1024)).join(", ")} | ${ratio(r.rssKiB, rows[0].rssKiB)} | ${fmt(r.anonKiB / 1024)} | ${ratio(r.anonKiB, rows[0].anonKiB)} |`),
  ];
}

/** The import-cost tables (alone, and in the daemon's order) with the fresh process's own RSS on top (import-cost.mjs). */
export function importLines() {
  const fresh = importCost("");
  return [
    `Fresh \`node\` ${process.version} with nothing imported: ${fmt(fresh.baseRssKiB / 1024)} MiB RSS. Each module imported alone into such a process (median of 3; alone, a module also pays what any first import pays):`,
    "",
    ...importCostLines(importCostTable()),
    "",
    "The same modules one after the other in the daemon's order, each figure what it adds to a process that has the ones above (median of 3; ±2 MiB per step is malloc noise):",
    "",
    ...importChainLines(importChain()),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const part = process.argv[2];
  if (!part) {
    const r = await footprint(notes);
    console.log(`Gatehouse first check cycle: ${fmt(r.cycle.wallMs / 1000)} s wall, ${fmt(r.cycle.cpuMs)} ms CPU, peak RSS ${fmt(r.cycle.peakRssKiB / 1024)} MiB`);
    for (const s of Object.values(r.subjects)) console.log(`${s.name}: idle RSS ${fmt(s.rssKiB / 1024)} MiB (max ${fmt(s.maxRssKiB / 1024)}), CPU ${fmt(s.cpuPct, 2)} % over ${fmt(r.idleMs / 1000, 0)} s`);
  }
  if (!part || part === "--flags") console.log(["", ...flagLines(await footprintFlags(notes))].join("\n"));
  if (!part || part === "--imports") console.log(["", ...importLines()].join("\n"));
  console.log(notes.join("\n"));
}
