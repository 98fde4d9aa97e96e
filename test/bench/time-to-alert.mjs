// Time to alert.
// 1. Doors: runs test/bench/doors-latency.mjs (the doors engineer's benchmark: MQTT publish → alert
//    outbox row, beside the bare MQTT round trip through the same broker) as a child process and
//    parses its figures.
// 2. Firewall: in a network namespace we create, an nftables ruleset is approved as the baseline,
//    then flushed. Gatehouse: the event-driven watch when the build has one
//    (monitors/firewall/watch.js), otherwise the polling path, measured as flush → `gatehouse check
//    --monitor firewall` has written its alert row, plus the schedule interval (default */5). Anchor:
//    monit in the same namespace with `set daemon 30` and a program check on the ruleset, its
//    actual detection time (flush → "status failed" in its log), and Wazuh syscheck's documented
//    default frequency (12 h).
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { anchor, cleanDir, cli, distHas, fmt, importDist, median, QUICK, root, sleep, start, stop, tempDir } from "./lib.mjs";

// ---- doors (child process)

export async function doorsLatency(notes = []) {
  const script = join(root, "test/bench/doors-latency.mjs");
  try {
    readFileSync(script);
  } catch {
    notes.push("- time to alert (doors): test/bench/doors-latency.mjs is not there yet; no door figure.");
    return undefined;
  }
  if (!anchor("mosquitto", notes)) return undefined;
  const out = await new Promise((resolve) => {
    const p = spawn(process.execPath, [script], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let o = "";
    p.stdout.on("data", (d) => (o += d));
    p.stderr.on("data", (d) => (o += d));
    const t = setTimeout(() => p.kill("SIGKILL"), 300_000);
    p.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, text: o });
    });
  });
  const pair = (label) => {
    const m = new RegExp(`${label}[^\\n]*?p50 ([\\d.]+) ms\\s+p99 ([\\d.]+) ms`).exec(out.text);
    return m ? { p50: Number(m[1]), p99: Number(m[2]) } : undefined;
  };
  const n = Number(/doors latency, (\d+) openings/.exec(out.text)?.[1]);
  const r = { n, outbox: pair("publish → alert outbox row"), mqtt: pair("MQTT publish → subscriber"), commit: pair("one durable SQLite commit"), resolve: pair("publish → resolve outbox row") };
  const burst = /recorded (\d+) of (\d+)[^\n]*lost (\d+)/.exec(out.text);
  if (burst) r.burst = { recorded: Number(burst[1]), of: Number(burst[2]), lost: Number(burst[3]) };
  if (out.code !== 0 || !r.outbox) notes.push(`- time to alert (doors): doors-latency.mjs exited ${out.code}; output tail: \`${out.text.trim().split("\n").slice(-3).join(" / ").slice(0, 400)}\``);
  return r;
}

// ---- firewall in a network namespace

const RULESET = `table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif "lo" accept
    tcp dport 22 accept
  }
}
`;

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 120_000, ...opts });
}

/** Runs `gatehouse ARGS` inside the namespace; resolves with {code, ms}. */
function ghIn(ns, args) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn("/usr/sbin/ip", ["netns", "exec", ns, process.execPath, cli, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => resolve({ code, ms: Number(process.hrtime.bigint() - t0) / 1e6, err }));
  });
}

export async function firewallDetection(notes = []) {
  const ip = anchor("ip", notes);
  const nft = anchor("nft", notes);
  if (!ip || !nft) return undefined;
  if (process.getuid?.() !== 0) {
    notes.push("- time to alert (firewall): needs root for `ip netns add`; skipped.");
    return undefined;
  }
  const ns = `ghbench${process.pid}`;
  const dir = tempDir("fw");
  const procs = [];
  try {
    run(ip, ["netns", "add", ns]);
    run(ip, ["-n", ns, "link", "set", "lo", "up"]);
    writeFileSync(join(dir, "ruleset.nft"), RULESET);
    const load = () => run(ip, ["netns", "exec", ns, nft, "-f", join(dir, "ruleset.nft")]);
    const flush = () => run(ip, ["netns", "exec", ns, nft, "flush", "ruleset"]);
    load();

    // Only the firewall monitor; every other one disabled.
    const { MONITORS } = await importDist("monitors/index.js");
    const others = MONITORS.filter((m) => m.id !== "firewall").map((m) => `  ${m.id}: { enabled: false }`);
    const cfg = join(dir, "gatehouse.yaml");
    writeFileSync(cfg, [`site: "Bench"`, "timezone: UTC", `data_dir: ${join(dir, "data")}`, `console: { listen: "127.0.0.1:8080", tls: off }`, "monitors:", "  firewall: { backend: nftables }", ...others, ""].join("\n"));
    const approve = await ghIn(ns, ["baseline", "approve", "firewall", "--reason", "bench", "--config", cfg]);
    if (approve.code !== 0) throw new Error(`baseline approve failed (${approve.code}): ${approve.err.slice(-500)}`);

    const { openStore } = await importDist("agent/store/db.js");
    const q = (sql, ...args) => {
      const db = openStore(join(dir, "data"));
      try {
        return db.prepare(sql).get(...args);
      } finally {
        db.close();
      }
    };
    const n = QUICK ? 2 : 5;

    // Polling path: flush, then the scheduled `check` (measured as a one-shot check that writes the alert).
    const times = [];
    for (let i = 0; i < n; i++) {
      load();
      await ghIn(ns, ["check", "--monitor", "firewall", "--config", cfg]);
      flush();
      const r = await ghIn(ns, ["check", "--monitor", "firewall", "--config", cfg]);
      const open = q("SELECT count(*) AS n FROM alerts WHERE source = 'firewall' AND state != 'resolved'").n;
      if (open === 0) notes.push(`- time to alert (firewall, polling): run ${i + 1}: the check exited ${r.code} but no open firewall alert exists.`);
      times.push(r.ms);
    }
    const gh = { checkMs: median(times), n, interval: "*/5 * * * *", intervalS: 300 };

    // Event-driven path: `gatehouse serve` inside the namespace (its `nft monitor` watch sees the
    // flush); flush → first failing firewall observation, and → alert row for the first flush.
    let event;
    const watch = distHas("monitors/firewall/watch.js");
    if (watch) {
      load();
      cleanDir(join(dir, "data"));
      const a2 = await ghIn(ns, ["baseline", "approve", "firewall", "--reason", "bench", "--config", cfg]);
      if (a2.code !== 0) throw new Error(`baseline approve failed (${a2.code}): ${a2.err.slice(-500)}`);
      const serve = start(ip, ["netns", "exec", ns, process.execPath, cli, "serve", "--config", cfg], { stdout: true, env: { ...process.env, GATEHOUSE_LOG_LEVEL: "info" } });
      procs.push(serve);
      const tUp = Date.now();
      while (serve.checksDone < 1 && Date.now() - tUp < 60_000) await sleep(100);
      await sleep(2500); // past the watch's debounce of the start-up
      const obs = [];
      let alertMs;
      for (let i = 0; i < n; i++) {
        load();
        const tl = Date.now();
        while (Date.now() - tl < 15_000 && q("SELECT status FROM observations WHERE monitor = 'firewall' ORDER BY id DESC LIMIT 1")?.status === "fail") await sleep(100);
        await sleep(1500);
        const t0 = Date.now();
        flush();
        let got;
        while (Date.now() - t0 < 30_000) {
          const o = q("SELECT started_at FROM observations WHERE monitor = 'firewall' AND status = 'fail' AND started_at >= ? ORDER BY id LIMIT 1", t0);
          if (o) {
            got = Date.now() - t0;
            break;
          }
          await sleep(50);
        }
        if (got === undefined) notes.push(`- time to alert (firewall, event-driven): flush ${i + 1} was not detected within 30 s.`);
        else obs.push(got);
        if (i === 0) {
          const tA = Date.now();
          while (Date.now() - tA < 10_000 && !q("SELECT id FROM alerts WHERE source = 'firewall' AND opened_at >= ?", t0)) await sleep(50);
          const row = q("SELECT opened_at FROM alerts WHERE source = 'firewall' AND opened_at >= ? ORDER BY id LIMIT 1", t0);
          alertMs = row ? Date.now() - t0 : undefined;
        }
      }
      await stop(serve);
      event = { detectMs: median(obs), samples: obs, alertMs };
    } else notes.push("- time to alert (firewall): no monitors/firewall/watch.js in this build; only the polling path is measured.");

    // monit in the same namespace, documented-typical `set daemon 30`, a program check on the ruleset.
    let monit;
    const monitBin = anchor("monit", notes);
    if (monitBin) {
      load();
      const log = join(dir, "monit.log");
      const rc = join(dir, "monitrc");
      writeFileSync(
        rc,
        [`set daemon 30`, `set pidfile ${join(dir, "monit.pid")}`, `set idfile ${join(dir, "monit.id")}`, `set statefile ${join(dir, "monit.state")}`, `set logfile ${log}`, `check program fw with path "${nft} list chain inet filter input" with timeout 10 seconds`, "  if status != 0 then alert", ""].join("\n"),
        { mode: 0o600 },
      );
      const m = start(ip, ["netns", "exec", ns, monitBin, "-c", rc, "-I"]);
      procs.push(m);
      const samples = [];
      const rounds = Number(process.env.GH_BENCH_MONIT_ROUNDS ?? 1);
      for (let i = 0; i < rounds; i++) {
        load();
        // Flush at a point uncorrelated with monit's cycle.
        await sleep(2000 + Math.random() * 10_000);
        const linesBefore = readLog(log).split("\n").length;
        flush();
        const t0 = Date.now();
        while (Date.now() - t0 < 75_000) {
          const fresh = readLog(log).split("\n").slice(linesBefore - 1).join("\n");
          if (/'fw' status failed/.test(fresh)) break;
          await sleep(200);
        }
        samples.push(Date.now() - t0);
        load();
        // wait for monit to see it succeed again before the next round
        const t1 = Date.now();
        while (i + 1 < rounds && Date.now() - t1 < 75_000 && !/'fw' status succeeded/.test(readLog(log).split("\n").slice(linesBefore).join("\n"))) await sleep(200);
      }
      monit = { detectMs: median(samples), samples, interval: 30 };
    }
    return { gh, event, monit, watch };
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    try {
      run("/usr/sbin/ip", ["netns", "del", ns]);
    } catch {
      /* already gone */
    }
    cleanDir(dir);
  }
}

function readLog(f) {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return "";
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const d = await doorsLatency(notes);
  if (d) console.log(JSON.stringify(d));
  const f = await firewallDetection(notes);
  if (f?.event) console.log(`firewall event-driven: flush → failing observation ${f.event.samples.join(", ")} ms; first alert row ${f.event.alertMs} ms`);
  if (f) console.log(`firewall polling: check after flush ${fmt(f.gh.checkMs)} ms (+ up to ${f.gh.intervalS} s schedule); monit set daemon 30 detected in ${fmt(f.monit?.detectMs / 1000)} s (${f.monit?.samples.join(", ")} ms)`);
  console.log(notes.join("\n"));
}
