// Check cycle: wall time and CPU (user+system, children included) of `gatehouse check` with every
// monitor, beside `lynis audit system --quick` (a full local audit) in the same run. Both only
// read this machine's state; lynis's log and report go to a temp dir, not /var/log.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { anchor, cleanDir, cli, fmt, median, QUICK, tempDir, writeAllMonitorsConfig } from "./lib.mjs";

const LYNIS_TIMEOUT_MS = Number(process.env.GH_BENCH_LYNIS_TIMEOUT_S ?? (QUICK ? 60 : 180)) * 1000;

/** Runs a command under /usr/bin/time; returns {wallMs, cpuMs, maxRssKiB, code}. */
function timed(cmd, args, dir, tag, timeoutMs = 600_000) {
  const out = join(dir, `${tag}.time`);
  return new Promise((resolve, reject) => {
    const p = spawn("/usr/bin/time", ["-f", "%e %U %S %M", "-o", out, cmd, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } });
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
        resolve({ wallMs: e * 1000, cpuMs: (u + s) * 1000, maxRssKiB: m, code, stderr: err, timedOut });
      } catch (x) {
        reject(new Error(`${cmd} ${args.join(" ")}: no timing (${code}): ${err}`));
      }
    });
  });
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
    let lynis;
    const bin = anchor("lynis", notes);
    if (bin) {
      lynis = await timed(bin, ["audit", "system", "--quick", "--no-colors", "--logfile", join(dir, "lynis.log"), "--report-file", join(dir, "lynis-report.dat")], dir, "lynis", LYNIS_TIMEOUT_MS);
      if (lynis.timedOut) notes.push(`- check cycle: lynis was stopped after ${LYNIS_TIMEOUT_MS / 1000} s (GH_BENCH_LYNIS_TIMEOUT_S); its figures are lower bounds.`);
      if (lynis.code !== 0 && lynis.code !== null && lynis.code > 1) notes.push(`- lynis exited ${lynis.code} (timing kept)`);
    }
    return { gh, lynis };
  } finally {
    cleanDir(dir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const { gh, lynis } = await checkCycle(notes);
  console.log(`gatehouse check (${gh.monitors} monitors, median of ${gh.runs}): ${fmt(gh.wallMs / 1000, 2)} s wall, ${fmt(gh.cpuMs / 1000, 2)} s CPU, max RSS ${fmt(gh.maxRssKiB / 1024)} MiB`);
  if (lynis) console.log(`lynis audit system --quick: ${fmt(lynis.wallMs / 1000, 2)} s wall, ${fmt(lynis.cpuMs / 1000, 2)} s CPU`);
  console.log(notes.join("\n"));
}
