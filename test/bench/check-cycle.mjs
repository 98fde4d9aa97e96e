// Check cycle: wall time and CPU (user+system, children included) of `gatehouse check` with every
// monitor, beside `lynis audit system --quick` (a full local audit, run to its end) in the same
// run. Both only read this machine's state; lynis's log and report go to a temp dir, not /var/log.
// Where the check's time goes: each monitor's own duration (from `check --json`; the monitors run
// concurrently) and the CLI's start-up (`gatehouse --version`: node plus every module loaded).
import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { anchor, cleanDir, cli, fmt, median, QUICK, tempDir, writeAllMonitorsConfig } from "./lib.mjs";

// lynis runs to its end (issue 17): the limit is only a guard against a hung run, 30 min unless set.
const LYNIS_TIMEOUT_MS = Number(process.env.GH_BENCH_LYNIS_TIMEOUT_S ?? 1800) * 1000;

/** Runs a command under /usr/bin/time, its stdout into DIR/TAG.out; returns {wallMs, cpuMs, maxRssKiB, code, stdoutFile}. */
function timed(cmd, args, dir, tag, timeoutMs = 600_000) {
  const out = join(dir, `${tag}.time`);
  const stdoutFile = join(dir, `${tag}.out`);
  const fd = openSync(stdoutFile, "w");
  return new Promise((resolve, reject) => {
    const p = spawn("/usr/bin/time", ["-f", "%e %U %S %M", "-o", out, cmd, ...args], { stdio: ["ignore", fd, "pipe"], env: { ...process.env, LC_ALL: "C" } });
    closeSync(fd);
    let err = "";
    p.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
    let timedOut = false;
    // On timeout, stop the timed command (time's child) so /usr/bin/time still reports what it used.
    const t = setTimeout(() => {
      timedOut = true;
      let kids = [];
      try {
        kids = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        /* gone */
      }
      for (const k of kids) process.kill(k, "SIGTERM");
      setTimeout(() => p.kill("SIGKILL"), 15_000).unref();
    }, timeoutMs);
    p.on("exit", (code) => {
      clearTimeout(t);
      try {
        const [e, u, s, m] = readFileSync(out, "utf8").trim().split(/\s+/).slice(-4).map(Number);
        resolve({ wallMs: e * 1000, cpuMs: (u + s) * 1000, maxRssKiB: m, code, stderr: err, timedOut, stdoutFile });
      } catch (x) {
        reject(new Error(`${cmd} ${args.join(" ")}: no timing (${code}): ${err}`));
      }
    });
  });
}

/** Each monitor's median `duration_ms` over the runs' `check --json` outputs, slowest first. */
export function perMonitorMs(jsonTexts) {
  const by = new Map();
  for (const t of jsonTexts) for (const m of JSON.parse(t).monitors) by.set(m.id, [...(by.get(m.id) ?? []), m.duration_ms]);
  return [...by].map(([id, xs]) => ({ id, ms: median(xs) })).sort((a, b) => b.ms - a.ms);
}

export async function checkCycle(notes = []) {
  const dir = tempDir("check");
  try {
    const { file, ids } = await writeAllMonitorsConfig(dir, {});
    const runs = [];
    const n = QUICK ? 2 : 3;
    // The first run creates and migrates the database; it counts like any other.
    for (let i = 0; i < n; i++) {
      const r = await timed(process.execPath, [cli, "check", "--config", file, "--json"], dir, `gh${i}`);
      if (r.code > 3 || r.code === null) throw new Error(`gatehouse check exited ${r.code}: ${r.stderr}`);
      runs.push(r);
    }
    const gh = { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)), maxRssKiB: median(runs.map((r) => r.maxRssKiB)), monitors: ids.length, runs: n };
    gh.perMonitor = perMonitorMs(runs.map((r) => readFileSync(r.stdoutFile, "utf8")));
    // The CLI's own start-up: node, then every module the command table imports.
    const starts = [];
    for (let i = 0; i < n; i++) starts.push(await timed(process.execPath, [cli, "--version"], dir, `ver${i}`));
    gh.startupMs = median(starts.map((r) => r.wallMs));
    let lynis;
    const bin = anchor("lynis", notes);
    if (bin) {
      lynis = await timed(bin, ["audit", "system", "--quick", "--no-colors", "--logfile", join(dir, "lynis.log"), "--report-file", join(dir, "lynis-report.dat")], dir, "lynis", LYNIS_TIMEOUT_MS);
      if (lynis.timedOut) notes.push(`- check cycle: lynis was stopped after ${LYNIS_TIMEOUT_MS / 1000} s (GH_BENCH_LYNIS_TIMEOUT_S); its figures are lower bounds.`);
      if (lynis.code !== 0 && lynis.code !== null && lynis.code > 1) notes.push(`- lynis exited ${lynis.code} (timing kept)`);
      const tests = /Tests performed\s*:\s*(\d+)/.exec(readFileSync(lynis.stdoutFile, "utf8"))?.[1];
      if (tests) lynis.tests = Number(tests);
    }
    const slow = gh.perMonitor.slice(0, 4).map((m) => `${m.id} ${fmt(m.ms / 1000, 2)} s`).join(", ");
    notes.push(`- check cycle: the monitors run concurrently; slowest (median of ${n}): ${slow}; the CLI's start-up (\`gatehouse --version\`) ${fmt(gh.startupMs / 1000, 2)} s.`);
    return { gh, lynis };
  } finally {
    cleanDir(dir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const { gh, lynis } = await checkCycle(notes);
  console.log(`gatehouse check (${gh.monitors} monitors, median of ${gh.runs}): ${fmt(gh.wallMs / 1000, 2)} s wall, ${fmt(gh.cpuMs / 1000, 2)} s CPU, max RSS ${fmt(gh.maxRssKiB / 1024)} MiB`);
  console.log(`per monitor (median ms): ${gh.perMonitor.map((m) => `${m.id} ${m.ms}`).join(", ")}; CLI start-up ${fmt(gh.startupMs, 0)} ms`);
  if (lynis) console.log(`lynis audit system --quick: ${fmt(lynis.wallMs / 1000, 2)} s wall, ${fmt(lynis.cpuMs / 1000, 2)} s CPU${lynis.tests ? `, ${lynis.tests} tests` : ""}; ratio ${fmt(gh.wallMs / lynis.wallMs, 3)}x`);
  console.log(notes.join("\n"));
}
