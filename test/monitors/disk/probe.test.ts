/**
 * The disk monitor's probe and policy with replayed commands (the exact argv; any other command
 * fails the test), its config (thresholds, and the paths the loader completes from the data
 * dir and the backups monitor), and its privileged declarations.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/agent/config/load.js";
import { disk, SMART_DEVICE } from "../../../src/monitors/disk/index.js";
import { parseDiskConfig, type DiskConfig } from "../../../src/monitors/disk/config.js";
import type { PolicyContext } from "../../../src/monitors/monitor.js";
import { commandQueryName } from "../../../src/probe/client.js";
import { resolveQuery } from "../../../src/probe/queries.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { replayRun, type Replay } from "../../helpers/replay-run.js";

const DF = join(import.meta.dirname, "../../fixtures/disk/df");
const SMART = join(import.meta.dirname, "../../fixtures/disk/smartctl");
const policyCtx: PolicyContext = { now: new Date(), firstSeen: () => undefined };

const site = (storage: { label: string; path: string }[] = [{ label: "backup set nightly", path: "/mnt" }]) =>
  disk.withSite!(parseDiskConfig({}), { dataDir: "/var/lib/gatehouse", storagePaths: storage });

const df = (path: string, file: string): Replay => ({ argv: ["df", "-P", "-k", "--", path], stdoutFile: join(DF, file) });
const scan = (file: string): Replay => ({ argv: ["smartctl", "--json", "--scan"], stdoutFile: join(SMART, file) });
const health = (dev: string, file: string, code = 0): Replay => ({ argv: ["smartctl", "--json", "-H", "-A", dev], stdoutFile: join(SMART, file), code });

async function check(config: DiskConfig, run: Replay[], privileged: Replay[]) {
  const ctx = testProbeContext({ run: replayRun(run), privilegedRun: replayRun(privileged) });
  const obs = await disk.probe(ctx, config);
  return { obs, findings: disk.policy(obs.facts, config, policyCtx) };
}

const byRule = (findings: { rule: string; status: string }[]) => Object.fromEntries(findings.map((f) => [f.rule, f.status]));

describe("disk probe", () => {
  it("a nearly full backup disk fails; a failing drive fails; a healthy NVMe passes beside it", async () => {
    const { obs, findings } = await check(
      site(),
      [df("/var/lib/gatehouse", "data-dir-root.txt"), df("/mnt", "backup-tmpfs-nearly-full.txt")],
      [scan("scan-three-devices.json"), health("/dev/sdc", "health-ata-hitachi-failing.json", 216), health("/dev/nvme0", "health-nvme-samsung-passed.json")],
    );
    expect(obs.facts).toMatchObject({
      "disk.data_dir": "data dir (/var/lib/gatehouse) on /",
      "disk.data_free_percent": 75.7,
      "disk.backup_lowest": "backup set nightly (/mnt) on /mnt",
      "disk.backup_free_percent": 3.3,
      "disk.smart": "checked",
      "disk.smart_devices": ["/dev/sdc Hitachi HDS721050DLE630: FAILED", "/dev/nvme0 SAMSUNG MZVL21T0HCLR-00B00: PASSED"],
      "disk.smart_warnings": ["/dev/sdc: 1975 reallocated sectors", "/dev/sdc: 8 pending sectors"],
    });
    expect(byRule(findings)).toEqual({ "disk.data_space": "pass", "disk.backup_space": "fail", "disk.smart_health": "fail" });
    expect(findings.find((f) => f.rule === "disk.backup_space")!.message).toMatch(/3.3% free .*full backup disk/);
    expect(obs.evidence).toMatch(/\/dev\/bus\/0 \(megaraid,0\) skipped/);
  });

  it("no SMART-capable device is quiet: no SMART finding, a line of evidence", async () => {
    const { obs, findings } = await check(site([]), [df("/var/lib/gatehouse", "data-dir-root.txt")], [scan("scan-no-devices.json")]);
    expect(obs.facts["disk.smart"]).toBe("no_devices");
    expect(byRule(findings)).toEqual({ "disk.data_space": "pass" });
    expect(obs.evidence).toMatch(/SMART: no SMART-capable device/);
  });

  it("a device smartctl cannot read (a virtio disk) is skipped with a note; without smartctl SMART is quiet too", async () => {
    const virtio = { ...scan("scan-no-devices.json"), stdout: '{"json_format_version":[1,0],"devices":[{"name":"/dev/sda","type":"scsi","protocol":"SCSI"}]}', stdoutFile: undefined };
    const { obs } = await check(site([]), [df("/var/lib/gatehouse", "data-dir-root.txt")], [virtio, health("/dev/sda", "health-virtio-unknown-type.json", 1)]);
    expect(obs.facts["disk.smart"]).toBe("no_devices");
    expect(obs.evidence).toMatch(/\/dev\/sda: no health reported \(\/dev\/vda: Unable to detect device type\)/);
    const none = await check(site([]), [df("/var/lib/gatehouse", "data-dir-root.txt")], [{ argv: ["smartctl", "--json", "--scan"], notInstalled: true }]);
    expect(none.obs.facts["disk.smart"]).toBe("not_installed");
    expect(byRule(none.findings)).toEqual({ "disk.data_space": "pass" });
  });

  it("devices it may not open are 'not permitted' (quiet), garbage from smartctl is an unknown SMART finding, never a lost space reading", async () => {
    const one = { argv: ["smartctl", "--json", "--scan"], stdout: '{"json_format_version":[1,0],"devices":[{"name":"/dev/sda"}]}' };
    const denied = await check(site([]), [df("/var/lib/gatehouse", "data-dir-root.txt")], [one, health("/dev/sda", "health-sat-permission-denied.json", 2)]);
    expect(denied.obs.facts["disk.smart"]).toBe("not_permitted");
    const garbage = await check(site([]), [df("/var/lib/gatehouse", "data-dir-root.txt")], [{ argv: ["smartctl", "--json", "--scan"], stdout: "Segmentation fault\n" }]);
    expect(byRule(garbage.findings)).toEqual({ "disk.data_space": "pass", "disk.smart_health": "unknown" });
    expect(garbage.obs.evidence).toMatch(/not JSON/);
  });

  it("a backup path that does not exist is named, not fatal; an unreadable data dir is unknown", async () => {
    const missing: Replay = { argv: ["df", "-P", "-k", "--", "/mnt"], code: 1, stderr: "df: /mnt: No such file or directory\n" };
    const { findings, obs } = await check({ ...site(), smart: false }, [df("/var/lib/gatehouse", "data-dir-root.txt"), missing], []);
    expect(byRule(findings)).toEqual({ "disk.data_space": "pass", "disk.unreadable_paths": "warn" });
    expect(obs.facts["disk.unreadable_paths"]).toEqual(["backup set nightly (/mnt): df: /mnt: No such file or directory"]);
    expect(obs.facts["disk.smart"]).toBe("off");
    const noData = await check({ ...site([]), smart: false }, [{ argv: ["df", "-P", "-k", "--", "/var/lib/gatehouse"], stdout: "garbage" }], []);
    expect(byRule(noData.findings)).toEqual({ "disk.data_space": "unknown", "disk.unreadable_paths": "warn" });
  });

  it("thresholds: warn and fail bounds from config", async () => {
    const tight = { ...site([]), warnFreePercent: 80, failFreePercent: 50, smart: false };
    const { findings } = await check(tight, [df("/var/lib/gatehouse", "data-dir-root.txt")], []);
    expect(findings[0]).toMatchObject({ rule: "disk.data_space", status: "warn", message: expect.stringMatching(/75.7% free \(warn below 80%, fail below 50%\)/) });
  });
});

describe("disk config", () => {
  it("defaults, bounds and garbage", () => {
    expect(parseDiskConfig(undefined)).toEqual({ warnFreePercent: 15, failFreePercent: 5, paths: [], smart: true });
    expect(() => parseDiskConfig({ warn_free_percent: 5, fail_free_percent: 10 })).toThrow(/fail_free_percent.*must be below warn_free_percent/);
    expect(() => parseDiskConfig({ warn_free_percent: 150 })).toThrow(/warn_free_percent/);
    expect(() => parseDiskConfig({ paths: ["relative"] })).toThrow(/paths\[0\].*absolute/);
    expect(() => parseDiskConfig({ smart: "yes" })).toThrow(/smart/);
    expect(() => parseDiskConfig({ free: 3 })).toThrow(/unknown key/);
  });

  it("the loader completes the paths from the data dir and the backups monitor's local targets", () => {
    const c = parseConfigText(
      [
        "site: x",
        "data_dir: /var/lib/gatehouse",
        "monitors:",
        "  backups: [ { name: nightly, path: /srv/backup, max_age: 26h }, { name: offsite, restic: { repository: 'sftp:nas:/r', password_file: /etc/r.pass }, max_age: 26h } ]",
        "  disk: { paths: [/srv/export] }",
      ].join("\n"),
      "/etc/gatehouse/gatehouse.yaml",
    );
    const setting = c.monitors.find((m) => m.monitor.id === "disk")!;
    expect((setting.config as DiskConfig).paths).toEqual([
      { role: "data", label: "data dir", path: "/var/lib/gatehouse" },
      { role: "backup", label: "backup set nightly", path: "/srv/backup" },
      { role: "other", label: "/srv/export", path: "/srv/export" },
    ]);
  });
});

describe("disk privileged queries", () => {
  it("the helper runs smartctl only on plain device names", () => {
    expect(commandQueryName("smartctl", ["--json", "--scan"])).toBe("smartctl-scan");
    expect(commandQueryName("smartctl", ["--json", "-H", "-A", "/dev/sda"])).toBe("smartctl-health/sda");
    expect(commandQueryName("/usr/sbin/smartctl", ["--json", "-H", "-A", "/dev/nvme0n1"])).toBe("smartctl-health/nvme0n1");
    expect(resolveQuery("smartctl-health/nvme0")).toEqual({ kind: "command", cmd: "smartctl", args: ["--json", "-H", "-A", "/dev/nvme0"] });
    for (const bad of ["/dev/bus/0", "/dev/sda1", "/dev/../sda", "/dev/sda -d sat", "/dev/mem", "/dev/nvme0n1p1", "/etc/shadow"]) {
      expect(commandQueryName("smartctl", ["--json", "-H", "-A", bad]), bad).toBeUndefined();
    }
    expect(resolveQuery("smartctl-health/sda;id")).toBeUndefined();
    expect(["sda", "sdaa", "hda", "nvme0", "nvme12n1"].every((n) => SMART_DEVICE.test(n))).toBe(true);
  });
});
