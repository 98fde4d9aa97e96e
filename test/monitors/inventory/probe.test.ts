import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { createInventoryMonitor, INVENTORY_COLLECTOR, LSBLK_ARGV } from "../../../src/monitors/inventory/index.js";
import type { SystemInfoSnapshot, SystemInfoSource } from "../../../src/monitors/inventory/system-info.js";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { replayRun } from "../../helpers/replay-run.js";

const FIX = join(import.meta.dirname, "../../fixtures/inventory");
const policyCtx = { now: new Date("2026-11-28T12:00:00Z"), firstSeen: () => undefined };

/** A SystemInfoSource answering from a recorded snapshot. */
function recorded(name: string): SystemInfoSource {
  const s = JSON.parse(readFileSync(join(FIX, "systeminformation", `${name}.json`), "utf8")) as SystemInfoSnapshot;
  return {
    osInfo: async () => s.osInfo,
    cpu: async () => s.cpu,
    mem: async () => s.mem,
    diskLayout: async () => s.diskLayout,
    blockDevices: async () => s.blockDevices,
    networkInterfaces: async () => s.networkInterfaces,
  };
}

const lsblk = (scenario: string) => replayRun([{ argv: [...LSBLK_ARGV], stdoutFile: join(FIX, "lsblk", `${scenario}.txt`) }]);

describe("inventory probe (recorded systeminformation, replayed lsblk)", () => {
  it("this VM: one disk, one NIC, an unencrypted root → warn citing HIPAA", async () => {
    const m = createInventoryMonitor(recorded("vm"));
    const run = lsblk("vm-whole-disk-root");
    const obs = await m.probe(testProbeContext({ run }), m.parseConfig(undefined));
    expect(run.calls).toEqual([[...LSBLK_ARGV]]);
    expect(obs.facts).toEqual({
      "inventory.hostname": "vm",
      "inventory.os": "Debian GNU/Linux 12 (bookworm)",
      "inventory.kernel": "6.18.44-fc-v782",
      "inventory.arch": "x64",
      "inventory.cpu": "AMD EPYC, 2 cores",
      "inventory.memory_bytes": 25276026880,
      "inventory.disks": ["/dev/vda 274877906944"],
      "inventory.network_interfaces": ["eth0 02:fc:00:00:00:01"],
      "inventory.volumes": ["/ vda - unencrypted"],
      "inventory.unencrypted_volumes": ["/"],
      "inventory.encryption_checked": true,
    });
    const enc = m.policy(obs.facts, {}, policyCtx).find((f) => f.rule === "inventory.encryption_at_rest")!;
    expect(enc.status).toBe("warn");
    expect(enc.message).toContain("164.312(a)(2)(iv)");
    expect(m.baselineFacts).toEqual(["inventory.disks", "inventory.network_interfaces"]);
  });

  it("a full-disk LUKS layout passes", async () => {
    const m = createInventoryMonitor(recorded("clinic-server"));
    const obs = await m.probe(testProbeContext({ run: lsblk("luks-lvm-full-disk") }), {});
    expect(obs.facts["inventory.unencrypted_volumes"]).toEqual([]);
    expect(obs.facts["inventory.network_interfaces"]).toEqual(["enp3s0 00:d8:61:1a:2b:3c", "wlp2s0 a4:c3:f0:85:11:7e"]);
    expect(m.policy(obs.facts, {}, policyCtx).map((f) => f.status)).toEqual(["pass", "pass"]);
  });

  it("one plain data disk among LUKS volumes is named in the warning", async () => {
    const m = createInventoryMonitor(recorded("clinic-server"));
    const obs = await m.probe(testProbeContext({ run: lsblk("mixed-unencrypted-data-disk") }), {});
    expect(obs.facts["inventory.unencrypted_volumes"]).toEqual(["/srv/recordings"]);
    const enc = m.policy(obs.facts, {}, policyCtx).find((f) => f.rule === "inventory.encryption_at_rest")!;
    expect(enc.message).toContain("/srv/recordings");
  });

  it("without lsblk the encryption check is unknown, the inventory still recorded", async () => {
    const m = createInventoryMonitor(recorded("vm"));
    const run = replayRun([{ argv: [...LSBLK_ARGV], notInstalled: true }]);
    const obs = await m.probe(testProbeContext({ run }), {});
    expect(obs.facts["inventory.encryption_checked"]).toBe(false);
    expect(m.policy(obs.facts, {}, policyCtx).map((f) => [f.rule, f.status])).toEqual([
      ["inventory.recorded", "pass"],
      ["inventory.encryption_at_rest", "unknown"],
    ]);
  });

  it("garbage from lsblk or systeminformation is a clear ProbeError", async () => {
    const m = createInventoryMonitor(recorded("vm"));
    const run = replayRun([{ argv: [...LSBLK_ARGV], stdout: "lsblk: unknown column\n" }]);
    await expect(m.probe(testProbeContext({ run }), {})).rejects.toThrow(/not JSON/);
    const broken = { ...recorded("vm"), networkInterfaces: () => Promise.reject(new Error("EACCES /sys/class/net")) };
    await expect(createInventoryMonitor(broken).probe(testProbeContext({ run: lsblk("vm-whole-disk-root") }), {})).rejects.toThrow(ProbeError);
  });

  it("config takes no keys", () => {
    expect(() => createInventoryMonitor(recorded("vm")).parseConfig({ disks: true })).toThrow(ConfigError);
  });
});

describe("inventory probe: the collector child process", () => {
  const snapshotFile = join(FIX, "systeminformation", "vm.json");
  const collector = [process.execPath, INVENTORY_COLLECTOR];

  it("by default runs systeminformation in a child node process and reads its JSON", async () => {
    const m = createInventoryMonitor();
    const run = replayRun([
      { argv: collector, stdoutFile: snapshotFile },
      { argv: [...LSBLK_ARGV], stdoutFile: join(FIX, "lsblk", "vm-whole-disk-root.txt") },
    ]);
    const obs = await m.probe(testProbeContext({ run }), m.parseConfig(undefined));
    expect(run.calls).toEqual([collector, [...LSBLK_ARGV]]);
    expect(obs.facts["inventory.network_interfaces"]).toEqual(["eth0 02:fc:00:00:00:01"]);
  });

  it.each([
    ["not JSON", "systeminformation: oops"],
    ["the wrong shape", '{"hello":1}'],
    ["empty output", ""],
  ])("a collector that prints %s is a clear probe error", async (_name, stdout) => {
    const m = createInventoryMonitor();
    const run = replayRun([{ argv: collector, stdout }]);
    await expect(m.probe(testProbeContext({ run }), m.parseConfig(undefined))).rejects.toThrow(/^systeminformation failed: /);
  });

  it("a collector that crashes is a clear probe error", async () => {
    const m = createInventoryMonitor();
    const run = replayRun([{ argv: collector, code: 1, stderr: "Error: boom" }]);
    await expect(m.probe(testProbeContext({ run }), m.parseConfig(undefined))).rejects.toThrow(ProbeError);
  });
});
