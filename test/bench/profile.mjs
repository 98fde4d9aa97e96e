// Profiles for misses: where the time or memory goes.
//   node test/bench/profile.mjs console   CPU profile of `gatehouse serve` under wrk on the
//                                         authenticated overview (--cpu-prof), top self-time frames
//   node test/bench/profile.mjs heap      V8 heap statistics and the largest heap spaces of an idle
//                                         `gatehouse serve` with every monitor (--heap-prof, plus a
//                                         heap snapshot via --heapsnapshot-signal summarized by type)
// Profiles are written to bench-results/profiles/ (ignored by git).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { consoleUnderTest } from "./console.mjs";
import { checksDone, cleanDir, freePort, root, rssKiB, sleep, startGatehouse, stop, tempDir, wrk, writeAllMonitorsConfig } from "./lib.mjs";

const what = process.argv[2] ?? "console";
const outDir = join(root, "bench-results/profiles", `${what}-${Date.now()}`);
mkdirSync(outDir, { recursive: true });

/** Top frames by self time from a .cpuprofile. */
function topSelf(file, n = 25) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const dt = new Map();
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const agg = new Map();
  let total = 0;
  for (const [id, t] of dt) {
    const node = byId.get(id);
    const cf = node.callFrame;
    const key = `${cf.functionName || "(anonymous)"} ${cf.url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, "$1/")}:${cf.lineNumber + 1}`;
    agg.set(key, (agg.get(key) ?? 0) + t);
    total += t;
  }
  return [...agg.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

/** Inclusive time per project source file (dist/src/**), from a .cpuprofile. */
function inclusiveByFile(file) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const parent = new Map();
  for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const agg = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const t = prof.timeDeltas[i] ?? 0;
    total += t;
    const seen = new Set();
    for (let id = prof.samples[i]; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      const m = /\/dist\/(src|views)\/(.+?)$/.exec(cf.url) ?? /node_modules\/(\.cache\/[^/]+\/)?(src|views)\/(.+?)$/.exec(cf.url);
      if (!m) continue;
      const key = `${cf.functionName || "(anonymous)"} ${m[0].replace(/^.*?(src|views)\//, "$1/")}`;
      if (seen.has(key)) continue;
      seen.add(key);
      agg.set(key, (agg.get(key) ?? 0) + t);
    }
  }
  return [...agg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, t]) => `${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

const dir = tempDir("prof");
try {
  if (what === "console") {
    const port = await freePort();
    const { file, ids: all } = await writeAllMonitorsConfig(dir, { port });
    // The firewall watch's `nft monitor` child keeps serve from exiting on SIGTERM, and a CPU profile
    // is only written on a clean exit: profile without it (it plays no part in rendering pages).
    writeFileSync(file, readFileSync(file, "utf8").replace(/^  firewall: .*$/m, "  firewall: { enabled: false }"));
    const ids = all.filter((x) => x !== "firewall");
    const notes = [];
    const gh = await consoleUnderTest(file, join(dir, "data"), port, ids.length, notes, { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${outDir}`] });
    const headers = gh.cookie ? { Cookie: gh.cookie } : {};
    const r = await wrk(`${gh.base}/`, { seconds: 8, headers });
    console.log(`overview under profile: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(1)} ms`, notes.join(" "));
    const t0 = Date.now();
    await stop(gh.proc, 60_000);
    console.log(`serve stopped in ${Date.now() - t0} ms (exit ${gh.proc.exitCode ?? gh.proc.signalCode})`);
    await sleep(500);
    const prof = readdirSync(outDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(outDir, f));
    for (const p of prof) {
      console.log(`\n${p}\nTop self time:`);
      console.log(topSelf(p).join("\n"));
      console.log("\nInclusive time in project code:");
      console.log(inclusiveByFile(p).join("\n"));
    }
  } else if (what === "idle") {
    // CPU profile of an idle serve (after its start-up cycle): what burns CPU when nothing happens.
    const port = await freePort();
    const { file, ids: all } = await writeAllMonitorsConfig(dir, { port });
    writeFileSync(file, readFileSync(file, "utf8").replace(/^  firewall: .*$/m, "  firewall: { enabled: false }"));
    const ids = all.filter((x) => x !== "firewall");
    const gh = startGatehouse(file, { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${outDir}`] });
    const t0 = Date.now();
    while (checksDone(gh) < ids.length && Date.now() - t0 < 180_000) await sleep(200);
    const { cpuMs } = await import("./lib.mjs");
    const c0 = cpuMs(gh.pid);
    const idleS = Number(process.env.GH_BENCH_IDLE_S ?? 45);
    await sleep(idleS * 1000);
    console.log(`idle CPU over ${idleS} s: ${(((cpuMs(gh.pid) - c0) / (idleS * 1000)) * 100).toFixed(2)} % of a core`);
    await stop(gh, 30_000);
    const prof = readdirSync(outDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(outDir, f));
    for (const p of prof) {
      console.log(`\n${p}\nTop self time (whole run, start-up included):`);
      console.log(topSelf(p).join("\n"));
      console.log("\nInclusive time in project code:");
      console.log(inclusiveByFile(p).join("\n"));
    }
  } else if (what === "heap") {
    const port = await freePort();
    const { file, ids } = await writeAllMonitorsConfig(dir, { port });
    const gh = startGatehouse(file, { nodeArgs: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${outDir}`, "--expose-gc"] });
    const t0 = Date.now();
    while (checksDone(gh) < ids.length && Date.now() - t0 < 180_000) await sleep(200);
    await sleep(5000);
    console.log(`idle RSS before snapshot: ${(rssKiB(gh.pid) / 1024).toFixed(1)} MiB`);
    gh.kill("SIGUSR2");
    // wait for the snapshot file to be complete
    let snap;
    for (let i = 0; i < 120 && !snap; i++) {
      await sleep(1000);
      const f = readdirSync(outDir).find((x) => x.endsWith(".heapsnapshot"));
      if (f) {
        try {
          JSON.parse(readFileSync(join(outDir, f), "utf8").slice(0, 0) || "{}");
          const size1 = readFileSync(join(outDir, f)).length;
          await sleep(1500);
          if (readFileSync(join(outDir, f)).length === size1) snap = join(outDir, f);
        } catch {
          /* still writing */
        }
      }
    }
    await stop(gh);
    if (!snap) throw new Error("no heap snapshot written");
    const s = JSON.parse(readFileSync(snap, "utf8"));
    const { node_fields: nf, node_types: nt } = s.snapshot.meta;
    const typeNames = nt[0];
    const W = nf.length;
    const iType = nf.indexOf("type");
    const iName = nf.indexOf("name");
    const iSize = nf.indexOf("self_size");
    const byType = new Map();
    const byCtor = new Map();
    let total = 0;
    for (let i = 0; i < s.nodes.length; i += W) {
      const size = s.nodes[i + iSize];
      total += size;
      const type = typeNames[s.nodes[i + iType]];
      byType.set(type, (byType.get(type) ?? 0) + size);
      const name = type === "object" || type === "closure" ? `${type}:${s.strings[s.nodes[i + iName]]}` : type;
      byCtor.set(name, (byCtor.get(name) ?? 0) + size);
    }
    console.log(`heap snapshot ${snap}: ${(total / 2 ** 20).toFixed(1)} MiB of JS heap objects (self sizes)`);
    for (const [k, v] of [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${(v / 2 ** 20).toFixed(2).padStart(7)} MiB  ${k}`);
    // The largest single strings are usually module source texts V8 keeps for lazy compilation.
    const big = [];
    const iId = nf.indexOf("id");
    for (let i = 0; i < s.nodes.length; i += W) {
      if (typeNames[s.nodes[i + iType]] !== "string") continue;
      const size = s.nodes[i + iSize];
      if (size > 40_000) big.push([size, s.strings[s.nodes[i + iName]].slice(0, 90).replace(/\s+/g, " "), s.nodes[i + iId]]);
    }
    big.sort((a, b) => b[0] - a[0]);
    console.log(`largest strings (> 40 KB: ${big.length}, ${(big.reduce((a, b) => a + b[0], 0) / 2 ** 20).toFixed(2)} MiB):`);
    for (const [size, head] of big.slice(0, 25)) console.log(`  ${(size / 1024).toFixed(0).padStart(6)} KiB  ${head}`);
    console.log("largest by constructor:");
    for (const [k, v] of [...byCtor.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${(v / 2 ** 20).toFixed(2).padStart(7)} MiB  ${k}`);
  }
} finally {
  cleanDir(dir);
}
