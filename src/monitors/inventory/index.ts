/**
 * inventory (control `inventory`): the asset inventory of the box (OS, kernel, hostname, CPU,
 * memory, disks, NICs with MACs) and encryption at rest of each mounted data volume. A new disk
 * or NIC is drift against the approved baseline; an unencrypted data volume is a warning.
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CommandNotFound } from "../../kit/exec.js";
import { parseWith } from "../../kit/config-schema.js";
import { ProbeError, defineMonitor, type Facts, type Monitor, type PolicyFinding, type ProbeContext } from "../monitor.js";
import { parseLsblk, type MountedVolume } from "./parse-lsblk.js";
import { parseSystemInfo } from "./parse-system-info.js";
import { snapshot, type SystemInfoSnapshot, type SystemInfoSource } from "./system-info.js";

const ConfigSchema = z.strictObject({});

/** `monitors.inventory` takes no options besides `schedule`. */
export type InventoryConfig = z.output<typeof ConfigSchema>;

/** The exact lsblk command: JSON, only the columns the encryption check needs. */
export const LSBLK_ARGV = ["lsblk", "-J", "-o", "NAME,TYPE,FSTYPE,MOUNTPOINT,SIZE"] as const;

const K = {
  hostname: "inventory.hostname",
  os: "inventory.os",
  kernel: "inventory.kernel",
  arch: "inventory.arch",
  cpu: "inventory.cpu",
  memory: "inventory.memory_bytes",
  disks: "inventory.disks",
  nics: "inventory.network_interfaces",
  volumes: "inventory.volumes",
  unencrypted: "inventory.unencrypted_volumes",
  checked: "inventory.encryption_checked",
} as const;

function volumeItem(v: MountedVolume): string {
  return `${v.mountpoint} ${v.device} ${v.fstype ?? "-"} ${v.encrypted ? "encrypted" : "unencrypted"}`;
}

function policy(facts: Facts): PolicyFinding[] {
  const base = { rule: "inventory.encryption_at_rest", facts: [K.unencrypted, K.volumes, K.checked] };
  const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
  const out: PolicyFinding[] = [
    {
      rule: "inventory.recorded",
      status: "pass",
      facts: [K.hostname, K.disks, K.nics],
      message: `Inventory of ${String(facts[K.hostname])}: ${list(facts[K.disks]).length} disk(s), ${list(facts[K.nics]).length} network interface(s).`,
    },
  ];
  if (facts[K.checked] !== true) {
    out.push({ ...base, status: "unknown", message: "Cannot check encryption at rest: lsblk (util-linux) is not available." });
    return out;
  }
  const bad = list(facts[K.unencrypted]);
  out.push(
    bad.length > 0
      ? {
          ...base,
          status: "warn",
          message: `Unencrypted data volume(s) ${bad.join(", ")}: move the data onto a LUKS-encrypted volume (HIPAA 164.312(a)(2)(iv)).`,
        }
      : { ...base, status: "pass", message: "Every mounted data volume is on a LUKS-encrypted device." },
  );
  return out;
}

/** The built collector next to this module (dist/src/monitors/inventory/collect.js). */
export const INVENTORY_COLLECTOR = fileURLToPath(new URL("./collect.js", import.meta.url));

/** Runs systeminformation in a child node process through the exec module; parses its JSON. */
async function collectInChild(ctx: ProbeContext): Promise<SystemInfoSnapshot> {
  const r = await ctx.run(process.execPath, [INVENTORY_COLLECTOR], { timeoutMs: 60_000, maxOutputBytes: 4 * 1024 * 1024, signal: ctx.signal });
  const parsed: unknown = JSON.parse(r.stdout);
  if (!parsed || typeof parsed !== "object" || !("osInfo" in parsed) || !("networkInterfaces" in parsed)) throw new Error("collector printed an unexpected shape");
  return parsed as SystemInfoSnapshot;
}

/**
 * Builds the inventory monitor. With a SystemInfoSource (recorded answers in tests) it reads in
 * process; by default it runs the collector in a child process.
 */
export function createInventoryMonitor(source?: SystemInfoSource): Monitor<InventoryConfig> {
  return defineMonitor<InventoryConfig>({
    id: "inventory",
    title: "Asset inventory and encryption at rest",
    control: "inventory",
    defaultSchedule: "41 3 * * *",
    starter: "# inventory: { schedule: \"41 3 * * *\" }   # hardware, OS and disk encryption, daily",
    enabledByDefault: true,
    parseConfig: (raw) => parseWith(ConfigSchema, raw ?? {}),
    async probe(ctx) {
      let snap;
      try {
        snap = source ? await snapshot(source) : await collectInChild(ctx);
      } catch (e) {
        throw new ProbeError(`systeminformation failed: ${(e as Error).message}`);
      }
      const host = parseSystemInfo(snap);

      let volumes: MountedVolume[] | undefined;
      try {
        const r = await ctx.run(LSBLK_ARGV[0], LSBLK_ARGV.slice(1), { timeoutMs: 30_000, signal: ctx.signal });
        volumes = parseLsblk(r.stdout);
      } catch (e) {
        if (!(e instanceof CommandNotFound)) throw e;
      }
      const unencrypted = (volumes ?? []).filter((v) => v.dataVolume && !v.encrypted);
      const facts: Facts = {
        [K.hostname]: host.hostname,
        [K.os]: host.os,
        [K.kernel]: host.kernel,
        [K.arch]: host.arch,
        [K.cpu]: host.cpu,
        [K.memory]: host.memoryBytes,
        [K.disks]: host.disks,
        [K.nics]: host.networkInterfaces,
        [K.volumes]: (volumes ?? []).map(volumeItem).sort(),
        [K.unencrypted]: unencrypted.map((v) => v.mountpoint).sort(),
        [K.checked]: volumes !== undefined,
      };
      const evidence = [
        `${host.hostname}: ${host.os}, kernel ${host.kernel} (${host.arch}), ${host.cpu}, ${(host.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
        `disks: ${host.disks.join("; ") || "none"}`,
        `nics: ${host.networkInterfaces.join("; ") || "none"}`,
        volumes ? `volumes: ${volumes.map(volumeItem).join("; ") || "none mounted"}` : "lsblk: not installed",
      ].join("\n");
      return { facts, evidence };
    },
    policy: (facts) => policy(facts),
    baselineFacts: [K.disks, K.nics],
  });
}

/** The inventory monitor over the real systeminformation package. */
export const inventory = createInventoryMonitor();
