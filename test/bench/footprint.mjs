// Footprint: resident memory and CPU of `gatehouse serve` with every monitor enabled, through its
// first full check cycle and then idle for a minute after warm-up; beside, in the same window on
// the same machine: a bare hono + better-sqlite3 process (the floor for any Node agent), Debian's
// monit with comparable checks, and prometheus-node-exporter. All four run at the same time.
//
// GH_BENCH_HEAP_PROF=DIR adds --heap-prof to the Gatehouse child (written to DIR on exit).
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
  median,
  QUICK,
  root,
  rssKiB,
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const r = await footprint(notes);
  console.log(`Gatehouse first check cycle: ${fmt(r.cycle.wallMs / 1000)} s wall, ${fmt(r.cycle.cpuMs)} ms CPU, peak RSS ${fmt(r.cycle.peakRssKiB / 1024)} MiB`);
  for (const s of Object.values(r.subjects)) console.log(`${s.name}: idle RSS ${fmt(s.rssKiB / 1024)} MiB (max ${fmt(s.maxRssKiB / 1024)}), CPU ${fmt(s.cpuPct, 2)} % over ${fmt(r.idleMs / 1000, 0)} s`);
  console.log(notes.join("\n"));
}
