// Shared helpers for benchmarks: free ports, process sampling from /proc, waiting for HTTP,
// the build under test, configs with every monitor, wrk, monit and anchor discovery.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
/** The compiled Gatehouse under test (`npm run bench` builds it to dist/; GH_BENCH_DIST overrides). */
export const dist = resolve(root, process.env.GH_BENCH_DIST ?? "dist");
export const cli = join(dist, "src/cli.js");
/** Imports a compiled project module by its path under src/ (e.g. "agent/store/db.js"). */
export const importDist = (p) => import(pathToFileURL(join(dist, "src", p)).href);
export const distHas = (p) => existsSync(join(dist, "src", p));

/** Scales every benchmark's duration: GH_BENCH_QUICK=1 for development runs. */
export const QUICK = process.env.GH_BENCH_QUICK === "1";

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resident set size in KiB of a pid, from /proc (the kernel's own figure). */
export function rssKiB(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/**
 * Resident set split in KiB: anonymous (private memory: V8 heap, malloc) and file-backed (the
 * node binary's and libraries' pages, e.g. ICU data: clean, shared, dropped first under pressure).
 */
export function rssSplitKiB(pid) {
  const t = readFileSync(`/proc/${pid}/status`, "utf8");
  const f = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? NaN);
  return { anon: f("RssAnon"), file: f("RssFile") };
}

/** Peak resident set size (VmHWM) in KiB of a pid. */
export function hwmKiB(pid) {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** CPU time (user+system, plus reaped children) in ms of a pid. */
export function cpuMs(pid, { children = true } = {}) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  // fields after ") ": state=0 … utime=11 stime=12 cutime=13 cstime=14
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return (ticks * 1000) / 100;
}

export async function waitForHttp(url, timeoutMs = 30_000, proc) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited (${proc.exitCode}) before ${url} answered`);
    try {
      const r = await fetch(url, { redirect: "manual" });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

/** Spawns a process; keeps the last 64 KiB of stderr (and stdout when `stdout: true`). */
export function start(cmd, args, opts = {}) {
  const { stdout = false, ...rest } = opts;
  const p = spawn(cmd, args, { stdio: ["ignore", stdout ? "pipe" : "ignore", "pipe"], ...rest });
  let stderr = "";
  let out = "";
  p.stderr?.on("data", (d) => (stderr = (stderr + d).slice(-65536)));
  let partial = "";
  p.checksDone = 0;
  p.stdout?.on("data", (d) => {
    out = (out + d).slice(-65536);
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.includes('"msg":"check done"')) p.checksDone++;
  });
  p.stderrText = () => stderr;
  p.stdoutText = () => out;
  return p;
}

/** Pids of every descendant of `pid` (from /proc/PID/task/PID/children), deepest last. */
export function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let kids = [];
    try {
      kids = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      /* gone */
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stops a process we started and everything it started: SIGTERM; after `graceMs` SIGTERM to its
 * children too (a daemon that waits on a child it forgot to stop then exits by itself, so profiles
 * are still written); then SIGKILL to whatever is left. Only pids descended from `p` are signalled.
 */
export async function stop(p, graceMs = 5000) {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once("exit", r));
  const kids = descendants(p.pid);
  p.kill("SIGTERM");
  const timeout = (ms) => new Promise((r) => setTimeout(() => r("timeout"), ms));
  if ((await Promise.race([done, timeout(graceMs)])) === "timeout") {
    p.stuckOnStop = true;
    for (const k of [...kids, ...descendants(p.pid)]) if (alive(k)) process.kill(k, "SIGTERM");
    if ((await Promise.race([done, timeout(3000)])) === "timeout") {
      kids.push(...descendants(p.pid)); // e.g. a watch child restarted meanwhile
      p.kill("SIGKILL");
    }
    await done;
  }
  for (const k of kids) if (alive(k)) process.kill(k, "SIGKILL");
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Renders rows {figure, gatehouse, anchor, ratio, goal} as a markdown table. */
export function table(rows) {
  const head = "| figure | Gatehouse | anchor | ratio | goal |\n|---|---|---|---|---|";
  return [head, ...rows.map((r) => `| ${r.figure} | ${r.gatehouse} | ${r.anchor} | ${r.ratio} | ${r.goal} |`)].join("\n");
}

export const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
/** "1.23x" of a/b, or "n/a". */
export const ratio = (a, b, d = 2) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(d)}x` : "n/a");

// ---- anchors

/** Debian packages of the anchors, by binary. */
export const ANCHORS = {
  monit: { bin: "/usr/bin/monit", apt: "apt-get install -y monit" },
  "node-exporter": { bin: "/usr/bin/prometheus-node-exporter", apt: "apt-get install -y prometheus-node-exporter" },
  wrk: { bin: "/usr/bin/wrk", apt: "apt-get install -y wrk" },
  lynis: { bin: "/usr/sbin/lynis", apt: "apt-get install -y lynis" },
  mosquitto: { bin: "/usr/sbin/mosquitto", apt: "apt-get install -y mosquitto" },
  nft: { bin: "/usr/sbin/nft", apt: "apt-get install -y nftables" },
  ip: { bin: "/usr/sbin/ip", apt: "apt-get install -y iproute2" },
};

/** The anchor's binary, or undefined after noting (once) which is missing and how to install it. */
export function anchor(name, notes) {
  const a = ANCHORS[name];
  for (const p of [a.bin, a.bin.replace("/usr/sbin/", "/usr/bin/"), a.bin.replace("/usr/bin/", "/usr/sbin/")]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* try the next */
    }
  }
  const line = `- anchor missing: **${name}** (not installed; nothing was installed for you). Install: \`${a.apt}\``;
  if (notes && !notes.includes(line)) notes.push(line);
  return undefined;
}

export function tempDir(tag) {
  return mkdtempSync(join(tmpdir(), `gh-bench-${tag}-`));
}

export function cleanDir(dir) {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

// ---- Gatehouse configs

/**
 * Safe read-only settings for monitors that need some: a backup directory we create, a TLS
 * certificate file we create (no network). Every monitor of MONITORS is listed explicitly.
 */
function monitorSection(m, dir) {
  switch (m.id) {
    case "backups": {
      const b = join(dir, "backups");
      mkdirSync(b, { recursive: true });
      writeFileSync(join(b, "nightly-1.tar"), Buffer.alloc(4096));
      return `{ sets: [ { name: nightly, path: ${b}, max_age: 26h } ] }`;
    }
    case "tls":
      return `{ endpoints: [], cert_files: [${selfSignedCert(dir)}] }`;
    case "wifi":
      return `{ ssids: ["BenchStaff"] }`;
    default:
      return "{}";
  }
}

function selfSignedCert(dir) {
  const crt = join(dir, "bench.crt");
  if (!existsSync(crt)) {
    try {
      execFileSync("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "90", "-subj", "/CN=bench.local", "-keyout", join(dir, "bench.key"), "-out", crt], { stdio: "ignore" });
    } catch {
      return "";
    }
  }
  return crt;
}

/**
 * Writes a config in `dir` that enables every monitor in MONITORS (as compiled) with safe
 * read-only settings. `schedule` overrides every monitor's schedule. Returns {file, ids}.
 */
export async function writeAllMonitorsConfig(dir, { port, schedule, extra = "", site = "Bench Answering Service" } = {}) {
  const { MONITORS } = await importDist("monitors/index.js");
  const { parseConfigText } = await importDist("agent/config/load.js");
  const ids = [];
  const lines = [];
  for (const m of MONITORS) {
    let section = monitorSection(m, dir);
    if (schedule) {
      // list form (backups) has no room for a schedule; the wrapped form does
      section = section === "{}" ? `{ schedule: "${schedule}" }` : section.replace(/^\{/, `{ schedule: "${schedule}",`);
    }
    // Validate each monitor alone so one unknown shape does not lose the rest.
    try {
      parseConfigText(`site: x\nmonitors:\n  ${m.id}: ${section}\n`, join(dir, "probe.yaml"));
    } catch (e) {
      try {
        const bare = schedule ? `{ schedule: "${schedule}" }` : "{}";
        parseConfigText(`site: x\nmonitors:\n  ${m.id}: ${bare}\n`, join(dir, "probe.yaml"));
        section = bare;
      } catch {
        throw new Error(`cannot write a safe config for monitor ${m.id}: ${e.message}`);
      }
    }
    ids.push(m.id);
    lines.push(`  ${m.id}: ${section}`);
  }
  const text = [
    `site: "${site}"`,
    "timezone: UTC",
    `data_dir: ${join(dir, "data")}`,
    `console: { listen: "127.0.0.1:${port ?? 8080}", tls: off }`,
    "monitors:",
    ...lines,
    extra,
  ].join("\n");
  const file = join(dir, "gatehouse.yaml");
  writeFileSync(file, `${text}\n`);
  parseConfigText(text, file);
  return { file, ids };
}

/** Starts `gatehouse serve` (stdout piped so "check done" lines can be counted); `cliPath`: another build's cli.js. */
export function startGatehouse(configFile, { env = {}, nodeArgs = [], cliPath = cli } = {}) {
  return start(process.execPath, [...nodeArgs, cliPath, "serve", "--config", configFile], {
    stdout: true,
    env: { ...process.env, GATEHOUSE_LOG_LEVEL: "info", ...env },
  });
}

/** Number of "check done" log lines a gatehouse process printed so far. */
export const checksDone = (p) => p.checksDone;

// ---- wrk

/**
 * Runs wrk against a URL and returns {rps, p50Ms, p99Ms, non2xx, errors}. Latency percentiles come
 * from wrk's --latency distribution.
 */
export async function wrk(url, { seconds = 5, connections = 8, threads = 2, headers = {} } = {}) {
  const bin = anchor("wrk");
  if (!bin) throw new Error("wrk missing");
  const args = ["-t", String(threads), "-c", String(connections), "-d", `${seconds}s`, "--latency", "--timeout", "5s"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const out = await new Promise((res, rej) => {
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let o = "";
    p.stdout.on("data", (d) => (o += d));
    p.stderr.on("data", (d) => (o += d));
    const t = setTimeout(() => p.kill("SIGKILL"), (seconds + 20) * 1000);
    p.on("exit", (code) => {
      clearTimeout(t);
      code === 0 ? res(o) : rej(new Error(`wrk exited ${code}: ${o}`));
    });
  });
  const unit = (n, u) => Number(n) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[u] ?? NaN);
  const lat = (pct) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s|m)`, "m").exec(out);
    return m ? unit(m[1], m[2]) : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const err = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = err ? err.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, p50Ms: lat(50), p99Ms: lat(99), non2xx, errors, raw: out };
}

// ---- monit

/**
 * Writes a monit control file in `dir` (mode 0600, as monit demands) with its own state, id, pid
 * and log files, and an HTTP status page on 127.0.0.1:port. The checks only read this machine.
 */
export function writeMonitrc(dir, { port, interval = 30, checks = comparableMonitChecks() } = {}) {
  const rc = join(dir, "monitrc");
  writeFileSync(
    rc,
    [
      `set daemon ${interval}`,
      `set pidfile ${join(dir, "monit.pid")}`,
      `set idfile ${join(dir, "monit.id")}`,
      `set statefile ${join(dir, "monit.state")}`,
      `set logfile ${join(dir, "monit.log")}`,
      `set httpd port ${port} use address 127.0.0.1 allow localhost`,
      ...checks,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return rc;
}

/**
 * Checks comparable to Gatehouse's monitors: firewall ruleset readable, pending upgrades
 * (simulated apt, read-only), account files unchanged, backup directory fresh, anti-virus
 * process, root filesystem, system resources.
 */
export function comparableMonitChecks() {
  const c = [
    "check system bench_host",
    "  if loadavg (5min) > 8 then alert",
    "check filesystem rootfs with path /",
    "  if space usage > 90% then alert",
    "check file passwd with path /etc/passwd",
    "  if changed checksum then alert",
    "check file group with path /etc/group",
    "  if changed checksum then alert",
    "check file shadow with path /etc/shadow",
    "  if changed checksum then alert",
    "check directory backups with path /var/backups",
    "  if timestamp > 26 hours then alert",
    "check process clamd matching \"clamd\"",
  ];
  // Same cadence as Gatehouse's defaults at a 30 s cycle: firewall every 5 min, updates every 6 h.
  if (existsSync("/usr/sbin/nft")) c.push('check program firewall with path "/usr/sbin/nft list ruleset" with timeout 10 seconds every 10 cycles', "  if status != 0 then alert");
  if (existsSync("/usr/bin/apt-get")) c.push('check program updates with path "/usr/bin/apt-get -s -o Debug::NoLocking=1 upgrade" with timeout 60 seconds every 720 cycles', "  if status != 0 then alert");
  if (existsSync("/etc/sudoers")) c.push("check file sudoers with path /etc/sudoers", "  if changed checksum then alert");
  return c;
}

/** Starts monit in the foreground with its own control file. */
export function startMonit(rc) {
  const bin = anchor("monit");
  return start(bin, ["-c", rc, "-I"], { stdout: true });
}

export function machineLine() {
  let model = "cpu";
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? model;
  } catch {
    /* not Linux */
  }
  let os = "";
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch {
    /* no os-release */
  }
  return { model, os };
}

// ---- history

/** Bytes of a data dir's database and its WAL. */
export const dbBytes = (dataDir) => ["gatehouse.db", "gatehouse.db-wal"].reduce((a, f) => a + (statSync(join(dataDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);

/**
 * Bytes of the pages each group of tables (with its indexes) occupies, from SQLite's dbstat:
 * observations (log, results, sources), door events, audit; and the number of distinct results.
 */
export function storageByTable(db) {
  const group = (prefix) =>
    db.prepare("SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name LIKE ? OR name LIKE ?").get(`${prefix}%`, `sqlite_autoindex_${prefix}%`).b;
  return { observations: group("observation"), doors: group("door_events"), audit: group("audit"), results: db.prepare("SELECT count(*) AS n FROM observation_results").get().n };
}

/**
 * Waits until process `pid` is quiet (under 10 % of a core in two consecutive half-second windows),
 * so page latencies are the steady state and not background catch-up work (e.g. the audit chain's
 * first full walk). Returns the ms waited, or undefined after `maxMs`.
 */
export async function waitQuiet(pid, maxMs = 180_000) {
  const t0 = Date.now();
  let quiet = 0;
  let last = cpuMs(pid, { children: false });
  while (Date.now() - t0 < maxMs) {
    await sleep(500);
    const now = cpuMs(pid, { children: false });
    quiet = now - last < 50 ? quiet + 1 : 0;
    last = now;
    if (quiet >= 2) return Date.now() - t0;
  }
  return undefined;
}
