/**
 * The event-driven path end to end: `gatehouse serve` runs inside a network namespace with a
 * good ruleset; the ruleset is flushed; the firewall alert is raised without waiting for the
 * schedule (the monitor's own schedule is once a year), because `nft monitor` triggered a re-check.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../../src/agent/store/db.js";
import { MONITORS } from "../../../src/monitors/index.js";
import { canRun } from "../../helpers/require-tool.js";
import { createNetns, type Netns } from "./netns.js";

const RULESETS = join(import.meta.dirname, "../../fixtures/firewall/rulesets");
const cli = join(import.meta.dirname, "../../../dist/src/cli.js");
const ready = canRun({ tools: ["nft", "ip"], root: true });

describe.skipIf(!ready)("firewall: event-driven re-check under gatehouse serve", () => {
  let ns: Netns;
  let dir: string;
  let daemon: ChildProcess | undefined;
  let output = "";

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error("build first: npm run build (npm test does)");
    ns = await createNetns();
    await ns.sh("ip", "link", "set", "lo", "up");
    await ns.sh("nft", "-f", join(RULESETS, "inet-filter.nft"));
    dir = mkdtempSync(join(tmpdir(), "gh-fw-serve-"));
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
    // SIGTERM: the daemon stops its `nft monitor` child; a SIGKILL would orphan it.
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once("exit", r));
      daemon.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      daemon.kill("SIGKILL");
    }
    await ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("raises the alert within seconds of `nft flush ruleset`", async () => {
    daemon = spawn("ip", ["netns", "exec", ns.name, process.execPath, cli, "serve", "--config", join(dir, "gatehouse.yaml")], { stdio: ["ignore", "pipe", "pipe"] });
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
    for (let i = 0; i < 200 && !existsSync(join(dir, "data", "gatehouse.db")); i++) await new Promise((r) => setTimeout(r, 50));
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
    console.log(`nft flush ruleset → firing alert row: ${alertAt - flushedAt} ms (schedule: once a year)`);
    expect(count("SELECT count(*) AS n FROM observations WHERE monitor = 'firewall'")).toBeGreaterThanOrEqual(2);
  });
});
