import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { run as realRun } from "../../../src/kit/exec.js";
import { antivirus } from "../../../src/monitors/antivirus/index.js";
import type { PolicyContext } from "../../../src/monitors/monitor.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { replayRun, type Replay } from "../../helpers/replay-run.js";
import { canRun } from "../../helpers/require-tool.js";
import { startFakeClamd } from "./clamd-server.js";

const FIX = join(import.meta.dirname, "../../fixtures/antivirus");
const NOW = new Date("2026-11-28T12:00:00Z");
const policyCtx: PolicyContext = { now: NOW, firstSeen: () => undefined };
let root: string;

function put(rel: string, text = ""): void {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), text);
}

function clamavTree(): void {
  put("usr/sbin/clamd");
  put("etc/clamav/freshclam.conf", "DatabaseMirror database.clamav.net\n");
  cpSync(join(FIX, "databases"), join(root, "var/lib/clamav"), { recursive: true });
  cpSync(join(FIX, "freshclam-log/updated-then-up-to-date.txt"), join(root, "var/log/clamav/freshclam.log"), { recursive: true });
  mkdirSync(join(root, "run/clamav"), { recursive: true });
}

const sigtool = (file: string, fixture: string): Replay => ({
  argv: ["sigtool", "--info", join(root, "var/lib/clamav", file)],
  stdoutFile: join(FIX, "sigtool-info", `${fixture}.txt`),
  stderr: "ERROR: cvdinfo: Verification: Can't verify database integrity\n",
  code: 1,
});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "gh-av-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("antivirus probe (replayed sigtool, fake root, local clamd socket)", () => {
  it("reports a healthy ClamAV", async () => {
    clamavTree();
    const clamd = await startFakeClamd(join(root, "run/clamav/clamd.ctl"));
    const run = replayRun([sigtool("bytecode.cvd", "bytecode-cvd"), sigtool("daily.cld", "daily-cld"), sigtool("main.cvd", "main-cvd")]);
    const cfg = antivirus.parseConfig({ root });
    const obs = await antivirus.probe(testProbeContext({ run, now: NOW }), cfg);
    await clamd.close();
    expect(run.calls.map((c) => c[2])).toEqual(["bytecode.cvd", "daily.cld", "main.cvd"].map((f) => join(root, "var/lib/clamav", f)));
    expect(clamd.pings()).toBe(1);
    const f = obs.facts;
    expect(f["antivirus.engines"]).toEqual(["clamav"]);
    expect(f["antivirus.clamd_socket"]).toBe("/run/clamav/clamd.ctl");
    expect(f["antivirus.clamd_alive"]).toBe(true);
    expect(f["antivirus.signature_version"]).toBe(27832);
    expect(f["antivirus.signature_build_time"]).toBe("2026-11-27T08:27:00.000Z");
    expect(f["antivirus.signature_age_hours"]).toBe(27.6); // 27 h 33 min
    expect(f["antivirus.signature_databases"]).toEqual([
      "bytecode.cvd 335 2024-02-20T09:38:00.000Z",
      "daily.cld 27832 2026-11-27T08:27:00.000Z",
      "main.cvd 62 2021-09-16T18:32:00.000Z",
    ]);
    expect(f["antivirus.freshclam_last_result"]).toBe("ok");
    expect(f["antivirus.freshclam_configured"]).toBe(true);
    for (const k of Object.keys(f)) expect(k).toMatch(/^antivirus\.[a-z_]+$/);
    const findings = antivirus.policy(f, cfg, policyCtx);
    expect(findings.map((x) => [x.rule, x.status])).toEqual([
      ["antivirus.installed", "pass"],
      ["antivirus.clamd_running", "pass"],
      ["antivirus.signatures_fresh", "pass"],
      ["antivirus.freshclam", "pass"],
    ]);
  });

  it("clamd down, failed freshclam, stale signatures", async () => {
    clamavTree();
    cpSync(join(FIX, "freshclam-log/update-failed.txt"), join(root, "var/log/clamav/freshclam.log"));
    const run = replayRun([sigtool("bytecode.cvd", "bytecode-cvd"), sigtool("daily.cld", "daily-cld"), sigtool("main.cvd", "main-cvd")]);
    const cfg = antivirus.parseConfig({ root, max_signature_age: "12h" });
    const obs = await antivirus.probe(testProbeContext({ run, now: NOW }), cfg);
    expect(obs.facts["antivirus.clamd_alive"]).toBe(false);
    expect(obs.facts["antivirus.freshclam_last_error"]).toBe("Database update process failed: Invalid or corrupted CVD/CLD database");
    const by = Object.fromEntries(antivirus.policy(obs.facts, cfg, policyCtx).map((x) => [x.rule, x]));
    expect(by["antivirus.clamd_running"]!.status).toBe("fail");
    expect(by["antivirus.clamd_running"]!.message).toContain("systemctl enable --now clamav-daemon");
    expect(by["antivirus.signatures_fresh"]!.status).toBe("fail");
    expect(by["antivirus.freshclam"]!.status).toBe("warn");
  });

  it("no anti-virus at all: fail, saying what to install", async () => {
    const run = replayRun([]);
    const cfg = antivirus.parseConfig({ root });
    const obs = await antivirus.probe(testProbeContext({ run, now: NOW }), cfg);
    expect(run.calls).toEqual([]);
    expect(obs.facts["antivirus.engines"]).toEqual([]);
    const findings = antivirus.policy(obs.facts, cfg, policyCtx);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.status).toBe("fail");
    expect(findings[0]!.message).toContain("apt install clamav clamav-daemon clamav-freshclam");
  });

  it("another engine is present with unknown freshness, never a pass", async () => {
    mkdirSync(join(root, "opt/sophos-spl"), { recursive: true });
    const cfg = antivirus.parseConfig({ root });
    const obs = await antivirus.probe(testProbeContext({ run: replayRun([]), now: NOW }), cfg);
    expect(obs.facts["antivirus.engines"]).toEqual(["sophos"]);
    const findings = antivirus.policy(obs.facts, cfg, policyCtx);
    const fresh = findings.filter((x) => x.rule === "antivirus.engine_freshness");
    expect(fresh).toEqual([expect.objectContaining({ status: "unknown", subject: "sophos" })]);
    expect(findings.some((x) => x.rule !== "antivirus.installed" && x.status === "pass")).toBe(false);
  });

  it("sigtool missing and a garbage freshclam log give findings, not a crash", async () => {
    clamavTree();
    writeFileSync(join(root, "var/log/clamav/freshclam.log"), "\u0000\u0001 not a log");
    const run = replayRun(["bytecode.cvd", "daily.cld", "main.cvd"].map((f) => ({ argv: ["sigtool", "--info", join(root, "var/lib/clamav", f)], notInstalled: true })));
    const cfg = antivirus.parseConfig({ root });
    const obs = await antivirus.probe(testProbeContext({ run, now: NOW }), cfg);
    expect(obs.evidence).toContain("sigtool is not installed");
    const by = Object.fromEntries(antivirus.policy(obs.facts, cfg, policyCtx).map((x) => [x.rule, x]));
    expect(by["antivirus.signatures_fresh"]!.status).toBe("fail");
    expect(by["antivirus.freshclam"]!.status).toBe("unknown");
    expect(by["antivirus.freshclam"]!.message).toContain("freshclam log holds no update run");
  });

  it("a garbage database file is reported in evidence, the others still count", async () => {
    clamavTree();
    const run = replayRun([
      { argv: ["sigtool", "--info", join(root, "var/lib/clamav/bytecode.cvd")], stdout: "", stderr: "ERROR: cvdinfo: Can't read/parse CVD header\n", code: 1 },
      sigtool("daily.cld", "daily-cld"),
      sigtool("main.cvd", "main-cvd"),
    ]);
    const obs = await antivirus.probe(testProbeContext({ run, now: NOW }), antivirus.parseConfig({ root }));
    expect(obs.facts["antivirus.signature_databases"]).toHaveLength(2);
    expect(obs.evidence).toMatch(/bytecode\.cvd: sigtool --info printed no database header/);
  });
});

describe.skipIf(!canRun({ tools: ["sigtool"] }))("antivirus probe with the real sigtool on crafted databases", () => {
  it("reads version and build time of each database", async () => {
    clamavTree();
    const cfg = antivirus.parseConfig({ root });
    const obs = await antivirus.probe(testProbeContext({ run: realRun, now: NOW }), cfg);
    expect(obs.facts["antivirus.signature_databases"]).toEqual([
      "bytecode.cvd 335 2024-02-20T09:38:00.000Z",
      "daily.cld 27832 2026-11-27T08:27:00.000Z",
      "main.cvd 62 2021-09-16T18:32:00.000Z",
    ]);
  });
});

describe("antivirus config", () => {
  it("defaults when absent", () => {
    expect(antivirus.parseConfig(undefined)).toEqual({
      max_signature_age: 3 * 86_400_000,
      database_dir: "/var/lib/clamav",
      freshclam_log: "/var/log/clamav/freshclam.log",
      root: "/",
    });
  });
  it.each([
    [{ max_signature_age: "three days" }, "max_signature_age"],
    [{ clamd_socket: "clamd.ctl" }, "clamd_socket"],
    [{ extra: true }, "extra"],
  ])("rejects %j naming the key", (raw, key) => {
    expect(() => antivirus.parseConfig(raw)).toThrow(ConfigError);
    expect(() => antivirus.parseConfig(raw)).toThrow(key);
  });
  it("signature age thresholds: warn past the limit, fail past twice the limit", () => {
    const cfg = antivirus.parseConfig({ max_signature_age: "1d" });
    const facts = (hoursOld: number) => ({
      "antivirus.engines": ["clamav"],
      "antivirus.clamd_alive": true,
      "antivirus.signature_build_time": new Date(NOW.getTime() - hoursOld * 3_600_000).toISOString(),
      "antivirus.freshclam_last_result": "ok",
    });
    const status = (h: number) => antivirus.policy(facts(h), cfg, policyCtx).find((x) => x.rule === "antivirus.signatures_fresh")!.status;
    expect([status(20), status(30), status(50)]).toEqual(["pass", "warn", "fail"]);
  });
});
