// `npm run bench`: every benchmark, one markdown table of Gatehouse beside its anchors measured in
// the same run on the same machine, written to bench-results/latest.md; each section's rows and
// notes are merged into test/bench/RESULTS.md by section (results-file.mjs), so a partial run
// replaces only what it measured. Anchors that are missing are named with how to install them;
// nothing is installed here.
//
//   GH_BENCH_ONLY=footprint,console,alert,history,check   run a subset (merged into RESULTS.md)
//   GH_BENCH_QUICK=1                                      short runs while developing
//   GH_BENCH_DIST=path                                    the compiled Gatehouse (default dist/)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { checkCycle } from "./check-cycle.mjs";
import { consoleBench } from "./console.mjs";
import { flagLines, footprint, footprintFlags, importLines } from "./footprint.mjs";
import { historyBench } from "./history.mjs";
import { fmt, machineLine, QUICK, ratio, root, table } from "./lib.mjs";
import { doorsEmail } from "./doors-email.mjs";
import { doorsLatency, firewallDetection } from "./time-to-alert.mjs";
import { mergeSections, sectionBlock } from "./results-file.mjs";

const only = process.env.GH_BENCH_ONLY ? new Set(process.env.GH_BENCH_ONLY.split(",")) : undefined;
const rows = [];
const notes = [];
const timings = [];
/** Per section that ran: its rows, notes and extra markdown (sub-tables), for RESULTS.md. */
const ran = {};
const extra = {};
const MiB = (k) => fmt(k / 1024);
const verdict = (ok) => (ok === undefined ? "" : ok ? " ✅" : " ❌");

async function section(name, f) {
  if (only && !only.has(name)) return;
  const t0 = Date.now();
  const r0 = rows.length;
  const n0 = notes.length;
  process.stderr.write(`[bench] ${name}…\n`);
  try {
    await f();
  } catch (e) {
    notes.push(`- **${name} failed**: ${String(e.message ?? e).split("\n").slice(0, 4).join(" / ").slice(0, 600)}`);
    rows.push({ figure: `${name}: not measured (failed, see notes)`, gatehouse: "—", anchor: "—", ratio: "—", goal: "—" });
  }
  timings.push(`${name} ${fmt((Date.now() - t0) / 1000, 0)} s`);
  ran[name] = { rows: rows.slice(r0), notes: notes.slice(n0), seconds: (Date.now() - t0) / 1000 };
  process.stderr.write(`[bench] ${name} done in ${fmt((Date.now() - t0) / 1000, 0)} s\n`);
}

// 1. Footprint
await section("footprint", async () => {
  const r = await footprint(notes);
  const { gh, bare, monit, ne } = r.subjects;
  const idleS = fmt(r.idleMs / 1000, 0);
  const x = gh.rssKiB / bare.rssKiB;
  rows.push({ figure: `1. idle RSS, MiB (median over ${idleS} s after warm-up; ${gh.name.replace(/^gatehouse serve \((.*)\)$/, "$1")}; node defaults)`, gatehouse: MiB(gh.rssKiB), anchor: `${MiB(bare.rssKiB)} bare hono + better-sqlite3`, ratio: `${ratio(gh.rssKiB, bare.rssKiB)}${verdict(x <= 1.3)}`, goal: "≤ 1.3x" });
  const u = r.subjects.ghUnit;
  if (u) rows.push({ figure: `1. idle RSS, MiB, ${u.name.replace(/^gatehouse serve /, "")}`, gatehouse: MiB(u.rssKiB), anchor: `${MiB(bare.rssKiB)} bare hono + better-sqlite3 (node defaults)`, ratio: `${ratio(u.rssKiB, bare.rssKiB)}${verdict(u.rssKiB / bare.rssKiB <= 1.3)}`, goal: "≤ 1.3x" });
  if (monit) rows.push({ figure: "1. idle RSS, MiB, vs monit (comparable checks)", gatehouse: MiB(gh.rssKiB), anchor: `${MiB(monit.rssKiB)} monit`, ratio: ratio(gh.rssKiB, monit.rssKiB), goal: "context" });
  if (ne) rows.push({ figure: "1. idle RSS, MiB, vs prometheus-node-exporter", gatehouse: MiB(gh.rssKiB), anchor: `${MiB(ne.rssKiB)} node-exporter`, ratio: ratio(gh.rssKiB, ne.rssKiB), goal: "context" });
  rows.push({ figure: "1. peak RSS through the first full check cycle, MiB", gatehouse: MiB(r.cycle.peakRssKiB), anchor: `${MiB(bare.maxRssKiB)} bare (idle max)`, ratio: ratio(r.cycle.peakRssKiB, bare.maxRssKiB), goal: "context" });
  rows.push({ figure: `1. idle CPU, % of one core over ${idleS} s`, gatehouse: fmt(gh.cpuPct, 2), anchor: `${fmt(bare.cpuPct, 2)} bare; ${monit ? `${fmt(monit.cpuPct, 2)} monit; ` : ""}${ne ? `${fmt(ne.cpuPct, 2)} node-exporter` : ""}`, ratio: ratio(gh.cpuPct, bare.cpuPct), goal: "≈ 0" });
  rows.push({ figure: "1. CPU of the first full check cycle (all monitors, children included), s", gatehouse: fmt(r.cycle.cpuMs / 1000, 2), anchor: `${fmt(r.cycle.wallMs / 1000)} s wall`, ratio: "—", goal: "context" });
  // Where the bytes go (issue 17): V8 / allocator settings on the demo config, and import costs.
  if (process.env.GH_BENCH_FOOTPRINT_DETAIL !== "0") {
    extra.footprint = ["", "Idle RSS of `serve` on the demo config (`demo/gatehouse.yaml`) under V8 / allocator settings, beside the bare anchor:", "", ...flagLines(await footprintFlags(notes)), "", ...importLines()].join("\n");
  }
});

// 2. Console
await section("console", async () => {
  const r = await consoleBench(notes);
  if (!r) return;
  const label = r.authenticated ? "authenticated overview" : "overview (no login in this build)";
  const m = r.monit;
  const mA = (x) => (m ? x : "monit missing");
  rows.push({ figure: `2. ${label}, requests/s (wrk ${r.seconds} s, 8 conns)`, gatehouse: fmt(r.overview.rps, 0), anchor: mA(`${fmt(m?.rps, 0)} monit status page`), ratio: `${ratio(r.overview.rps, m?.rps)}${verdict(m ? r.overview.rps >= m.rps : undefined)}`, goal: "≥ 1x" });
  rows.push({ figure: `2. ${label}, p99 ms`, gatehouse: fmt(r.overview.p99Ms, 2), anchor: mA(`${fmt(m?.p99Ms, 2)} monit status page`), ratio: `${ratio(r.overview.p99Ms, m?.p99Ms)}${verdict(m ? r.overview.p99Ms <= m.p99Ms : undefined)}`, goal: "≤ 1x" });
  rows.push({ figure: "2. overview fragment refresh (HX-Request), requests/s", gatehouse: fmt(r.fragment.rps, 0), anchor: mA(`${fmt(m?.rps, 0)} monit status page`), ratio: ratio(r.fragment.rps, m?.rps), goal: "≥ 1x" });
  rows.push({ figure: "2. overview fragment refresh, p99 ms", gatehouse: fmt(r.fragment.p99Ms, 2), anchor: mA(`${fmt(m?.p99Ms, 2)} monit status page`), ratio: ratio(r.fragment.p99Ms, m?.p99Ms), goal: "≤ 1x" });
});

// 3. Time to alert
await section("alert", async () => {
  const d = await doorsLatency(notes);
  if (d?.outbox) {
    rows.push({ figure: `3. door opened (MQTT publish) → alert outbox row, p50 ms (${d.n} events)`, gatehouse: fmt(d.outbox.p50, 2), anchor: `${fmt(d.mqtt?.p50, 2)} bare MQTT publish → subscriber`, ratio: ratio(d.outbox.p50, d.mqtt?.p50, 1), goal: "context" });
    rows.push({ figure: "3. door opened → alert outbox row, p99 ms", gatehouse: fmt(d.outbox.p99, 2), anchor: `${fmt(d.mqtt?.p99, 2)} bare MQTT round trip; monit cycle 30 000`, ratio: ratio(d.outbox.p99, d.mqtt?.p99, 1), goal: "≪ 1 s" });
    if (d.burst) rows.push({ figure: "3. door burst, events lost", gatehouse: `${d.burst.lost} of ${d.burst.of}`, anchor: "—", ratio: "—", goal: "0" });
  }
  const e = await doorsEmail(notes);
  if (e) {
    rows.push({ figure: `3. door opened → email accepted by local SMTP, p50 ms (${e.n} openings, real \`serve\`, group_wait 0)`, gatehouse: fmt(e.p50, 1), anchor: `${fmt(e.mqttP50, 2)} bare MQTT round trip`, ratio: ratio(e.p50, e.mqttP50, 0), goal: "≪ 1 s" });
    rows.push({ figure: "3. door opened → email accepted, p99 ms", gatehouse: fmt(e.p99, 1), anchor: `${fmt(e.mqttP99, 2)} bare MQTT round trip; monit cycle 30 000`, ratio: ratio(e.p99, e.mqttP99, 0), goal: "≪ 1 s" });
  }
  const f = await firewallDetection(notes);
  if (f) {
    const monitS = f.monit ? `${fmt(f.monit.detectMs / 1000)} s monit \`set daemon 30\` measured (documented default cycle 30–120 s)` : "monit missing";
    if (f.event) {
      rows.push({ figure: `3. firewall flushed (netns) → failing check, event-driven, median ms (${f.event.samples.length})`, gatehouse: fmt(f.event.detectMs, 0), anchor: monitS, ratio: f.monit ? ratio(f.event.detectMs, f.monit.detectMs, 3) : "n/a", goal: "≤ 1x" });
      rows.push({ figure: "3. firewall flushed → alert row, event-driven, ms (first flush)", gatehouse: fmt(f.event.alertMs, 0), anchor: "Wazuh syscheck default frequency 43 200 000 (12 h)", ratio: ratio(f.event.alertMs, 43_200_000, 6), goal: "≤ 1x" });
    }
    rows.push({ figure: "3. firewall flushed → alert row, polling path: one-shot check ms (+ wait for the */5 slot)", gatehouse: `${fmt(f.gh.checkMs, 0)} + ≤ 300 000`, anchor: monitS, ratio: f.monit ? ratio(f.gh.checkMs + 150_000, f.monit.detectMs, 1) + " (mean wait)" : "n/a", goal: "context" });
  }
});

// 4. Scale of history
await section("history", async () => {
  const r = await historyBench(notes);
  if (!r) return;
  const n = (x) => x.toLocaleString("en");
  const MB = (b) => fmt(b / 2 ** 20);
  const perObs = r.storage.observations / r.observations;
  rows.push({ figure: `4. database size, MiB (${n(r.observations)} observations = ${r.monitors} monitors × ${r.days} days per minute, ${n(r.doorEvents)} door events, ${n(r.auditRows)} audit rows)`, gatehouse: MB(r.sizeBytes), anchor: `${fmt(r.emptyBytes / 2 ** 20, 2)} empty data dir`, ratio: `${fmt(r.sizeBytes / (r.observations + r.doorEvents + r.auditRows), 0)} B/row`, goal: "≪ 1024 MiB" });
  rows.push({ figure: `4. bytes per stored observation (log, indexes, ${n(r.storage.results)} distinct results)`, gatehouse: fmt(perObs, 1), anchor: `observations ${MB(r.storage.observations)} MiB, door events ${MB(r.storage.doors)} MiB, audit ${MB(r.storage.audit)} MiB`, ratio: `${verdict(perObs <= 100)}`, goal: "≤ 100" });
  rows.push({ figure: "4. seeding, s (observations / door events / audit rows, batched transactions)", gatehouse: `${fmt(r.obsMs / 1000)} / ${fmt(r.doorMs / 1000)} / ${fmt(r.auditMs / 1000)}`, anchor: "—", ratio: `${fmt(r.observations / (r.obsMs / 1000), 0)} obs/s`, goal: "minutes" });
  rows.push({ figure: "4. start-up (spawn → /healthz 200), ms", gatehouse: fmt(r.full.startupMs, 0), anchor: `${fmt(r.empty.startupMs, 0)} same, empty data dir`, ratio: `${ratio(r.full.startupMs, r.empty.startupMs)}${verdict(r.full.startupMs < 2000)}`, goal: "< 2 s" });
  rows.push({ figure: "4. start-up work done (after /healthz: first checks, audit chain walk), s", gatehouse: fmt(r.full.settleMs / 1000), anchor: `${fmt(r.empty.settleMs / 1000)} empty data dir`, ratio: ratio(r.full.settleMs, r.empty.settleMs), goal: "context" });
  for (const [k, label] of [["overview", "overview"], ["history", "monitor history page"], ["audit", "audit page"]]) {
    const f = r.full[k];
    const e = r.empty[k];
    if (f) rows.push({ figure: `4. ${label} p99 ms, seeded`, gatehouse: fmt(f.p99Ms, 2), anchor: `${fmt(e?.p99Ms, 2)} empty data dir (one page of rows)`, ratio: `${ratio(f.p99Ms, e?.p99Ms)}${verdict(e ? f.p99Ms <= 1.2 * e.p99Ms : undefined)}`, goal: "≤ 1.2x" });
  }
  rows.push({ figure: `4. retention pruning (90 d), s for ${n(r.fullPrune.pruned)} rows`, gatehouse: fmt(r.fullPrune.ms / 1000, 2), anchor: `${fmt(r.emptyPrune.ms / 1000, 2)} empty data dir`, ratio: `${fmt(r.fullPrune.pruned / (r.fullPrune.ms / 1000), 0)} rows/s`, goal: "context" });
});

// 5. Check cycle
await section("check", async () => {
  const r = await checkCycle(notes);
  const l = r.lynis;
  const lw = l ? (l.timedOut ? `> ${fmt(l.wallMs / 1000, 0)}` : fmt(l.wallMs / 1000, 1)) : undefined;
  const x = l ? r.gh.wallMs / l.wallMs : undefined;
  rows.push({ figure: `5. \`gatehouse check\` (${r.gh.monitors} monitors) wall time, s (median of ${r.gh.runs})`, gatehouse: fmt(r.gh.wallMs / 1000, 2), anchor: l ? `${lw} lynis audit system --quick${l.tests ? ` (${l.tests} tests, run to the end)` : ""}` : "lynis missing", ratio: l ? `${l.timedOut ? "< " : ""}${ratio(r.gh.wallMs, l.wallMs, 3)}${l.timedOut ? "" : verdict(x <= 0.05)}` : "n/a", goal: "≤ 0.05x" });
  rows.push({ figure: "5. `gatehouse check` CPU (user+sys, children), s", gatehouse: fmt(r.gh.cpuMs / 1000, 2), anchor: l ? `${l.timedOut ? "> " : ""}${fmt(l.cpuMs / 1000, 1)} lynis` : "lynis missing", ratio: l ? `${l.timedOut ? "< " : ""}${ratio(r.gh.cpuMs, l.cpuMs, 3)}` : "n/a", goal: "context" });
  const slowest = r.gh.perMonitor[0];
  if (slowest) rows.push({ figure: `5. slowest monitor in \`check\` (${slowest.id}; the monitors run concurrently), s`, gatehouse: fmt(slowest.ms / 1000, 2), anchor: `${fmt(r.gh.startupMs / 1000, 2)} s CLI start-up (\`gatehouse --version\`)`, ratio: "—", goal: "context" });
});

const { model, os } = machineLine();
const machine = `${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os}, Node ${process.version}`;
const out = [
  `Machine: ${machine}`,
  `Date: ${new Date().toISOString()}${QUICK ? " (GH_BENCH_QUICK=1: short runs, not for the README)" : ""}`,
  `Load average at the end: ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")} (shared machine: ratios are the figure, absolute times are noise)`,
  "",
  table(rows),
  "",
  ...notes,
  "",
  `Sections: ${timings.join(", ")}`,
].join("\n");
const extras = Object.values(extra).join("\n");
console.log(extras ? `${out}\n${extras}` : out);
mkdirSync(join(root, "bench-results"), { recursive: true });
writeFileSync(join(root, "bench-results/latest.md"), `${out}\n${extras}\n`);

// RESULTS.md: each section that ran replaces its own block; the rest is kept (quick runs never write).
if (!QUICK && Object.keys(ran).length) {
  const file = join(root, "test/bench/RESULTS.md");
  const load = (await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ");
  const blocks = {};
  for (const [name, r] of Object.entries(ran)) {
    const body = [table(r.rows), "", ...r.notes, extra[name] ?? ""].join("\n");
    blocks[name] = sectionBlock(name, `### ${name} — ${new Date().toISOString()}, ${fmt(r.seconds, 0)} s; ${machine}; load average at the end of the run ${load}`, body);
  }
  const preamble = "# Latest benchmark results\n\nWritten by `npm run bench`, section by section: a run of some sections (`GH_BENCH_ONLY=…`) replaces only those, each dated. See README.md here for what each figure and anchor is; ratios are the figure (shared machine), absolute times are noise.";
  writeFileSync(file, mergeSections(existsSync(file) ? readFileSync(file, "utf8") : "", blocks, preamble));
}
