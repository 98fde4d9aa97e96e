/**
 * The event-driven path end to end: `gatehouse serve` runs inside a network namespace with a
 * good ruleset; the ruleset is flushed; the firewall alert is raised without waiting for the
 * schedule (the monitor's own schedule is once a year), because `nft monitor` triggered a re-check.
 * Twice: as root (in process, the demo), and as the units run it: serve as an unprivileged user
 * with no capability at all, gatehouse-probe as another user holding CAP_NET_ADMIN, the daemon
 * reading the ruleset and its change stream through the probe's socket.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../../src/agent/store/db.js";
import { MONITORS } from "../../../src/monitors/index.js";
import { canRun } from "../../helpers/require-tool.js";
import { createNetns, type Netns } from "./netns.js";

const RULESETS = join(import.meta.dirname, "../../fixtures/firewall/rulesets");
const cli = join(import.meta.dirname, "../../../dist/src/cli.js");
const probeMain = join(import.meta.dirname, "../../../dist/src/probe/main.js");
const ready = canRun({ tools: ["nft", "ip", "setpriv"], root: true });

/** Numeric ids only: nothing is added to the host's /etc/passwd or /etc/group. */
const GROUP = 54_321;
const PROBE_UID = 65_534;
const SERVE_UID = 54_322;

/** setpriv argv that drops to `uid`:GROUP with exactly `caps` (none: an empty bounding set). */
function asUser(uid: number, caps: string[]): string[] {
  const list = caps.map((c) => `+${c}`).join(",");
  return [
    "setpriv",
    `--reuid=${uid}`,
    `--regid=${GROUP}`,
    "--clear-groups",
    ...(caps.length ? [`--inh-caps=${list}`, `--ambient-caps=${list}`, `--bounding-set=-all,${list}`] : ["--inh-caps=-all", "--bounding-set=-all"]),
    "--no-new-privs",
    "--",
  ];
}

describe.skipIf(!ready).each(["in process (root)", "through gatehouse-probe (units' privileges)"])("firewall: event-driven re-check under gatehouse serve, %s", (mode) => {
  const viaProbe = mode !== "in process (root)";
  let ns: Netns;
  let dir: string;
  let daemon: ChildProcess | undefined;
  let probe: ChildProcess | undefined;
  let output = "";

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error("build first: npm run build (npm test does)");
    ns = await createNetns();
    await ns.sh("ip", "link", "set", "lo", "up");
    await ns.sh("nft", "-f", join(RULESETS, "inet-filter.nft"));
    dir = mkdtempSync(join(tmpdir(), "gh-fw-serve-"));
    if (viaProbe) {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, "data"));
      chownSync(join(dir, "data"), SERVE_UID, GROUP);
      mkdirSync(join(dir, "run"));
      chownSync(join(dir, "run"), 0, GROUP);
      chmodSync(join(dir, "run"), 0o770);
    }
    const others = MONITORS.filter((m) => m.id !== "firewall").map((m) => `  ${m.id}: { enabled: false }`);
    writeFileSync(
      join(dir, "gatehouse.yaml"),
      [
        "site: netns",
        "data_dir: ./data",
        'console: { listen: "127.0.0.1:18080", tls: off }',
        "monitors:",
        '  firewall: { schedule: "0 0 1 1 *", backend: nftables }',
        ...others,
        "alerts: { group_wait: 0s, flap_window: 0s }",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    // SIGTERM: the daemon (or the probe) stops its `nft monitor` child; a SIGKILL would orphan it.
    for (const child of [daemon, probe]) {
      if (!child || child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      child.kill("SIGKILL");
    }
    await ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("raises the alert within seconds of `nft flush ruleset`", async () => {
    const sock = join(dir, "run", "probe.sock");
    if (viaProbe) {
      probe = spawn("ip", ["netns", "exec", ns.name, ...asUser(PROBE_UID, ["net_admin"]), process.execPath, probeMain, "--socket", sock], { stdio: ["ignore", "pipe", "pipe"] });
      probe.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      probe.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      for (let i = 0; i < 300 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    }
    const serve = [process.execPath, cli, "serve", "--config", join(dir, "gatehouse.yaml")];
    daemon = spawn("ip", ["netns", "exec", ns.name, ...(viaProbe ? asUser(SERVE_UID, []) : []), ...serve], {
      stdio: ["ignore", "pipe", "pipe"],
      env: viaProbe ? { ...process.env, GATEHOUSE_PROBE_SOCKET: sock } : process.env,
    });
    daemon.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    daemon.stderr!.on("data", (d: Buffer) => (output += d.toString()));

    const db = () => openStore(join(dir, "data"));
    const count = (sql: string) => {
      const d = db();
      try {
        return (d.prepare(sql).get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    // The check on start records a passing firewall.
    // Open the store only once the daemon has migrated it (two migrating processes race).
    for (let i = 0; i < 400 && !output.includes('"msg":"gatehouse started"'); i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200 && count("SELECT count(*) AS n FROM observations WHERE monitor = 'firewall'") === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(count("SELECT count(*) AS n FROM observations WHERE monitor = 'firewall'"), output).toBe(1);
    expect(count("SELECT count(*) AS n FROM alerts WHERE source = 'firewall' AND rule LIKE 'firewall.%' AND severity = 'critical'")).toBe(0);
    // Let the watcher settle after start-up.
    await new Promise((r) => setTimeout(r, 1000));

    const flushedAt = Date.now();
    await ns.sh("nft", "flush", "ruleset");
    let alertAt = 0;
    for (let i = 0; i < 300 && !alertAt; i++) {
      if (count("SELECT count(*) AS n FROM alerts WHERE source = 'firewall' AND severity = 'critical' AND state = 'firing'") > 0) alertAt = Date.now();
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(alertAt, `no alert after flush; daemon output:\n${output}`).toBeGreaterThan(0);
    console.log(`${mode}: nft flush ruleset → firing alert row: ${alertAt - flushedAt} ms (schedule: once a year)`);
    expect(count("SELECT count(*) AS n FROM observations WHERE monitor = 'firewall'")).toBeGreaterThanOrEqual(2);
    if (viaProbe) {
      expect(output).toMatch(/"msg":"probe stream started"/);
      expect(output).not.toMatch(/nft monitor (unavailable|ended)/);
    }
  });
});
