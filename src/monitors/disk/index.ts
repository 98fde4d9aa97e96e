/**
 * The `disk` monitor: is there room left where Gatehouse keeps its evidence and where the
 * backups go (a full backup disk is a common cause of silently failing backups), and do the
 * drives report themselves healthy (SMART, smartctl --json)? Only observes.
 */
import { CommandError, CommandFailed, CommandNotFound, CommandPermissionDenied } from "../../kit/exec.js";
import type { PrivilegedQueries } from "../../kit/privileged.js";
import { defineMonitor, ProbeError, type Facts, type ProbeContext } from "../monitor.js";
import { parseDiskConfig, type DiskConfig, type DiskPath } from "./config.js";
import { freePercent, parseDf, type DfEntry } from "./parse-df.js";
import { parseSmartctlHealth, parseSmartctlScan, type SmartHealth } from "./parse-smartctl.js";
import { DISK_FACT, diskPolicy, type SmartState } from "./policy.js";
import { formatBytes } from "../../kit/format.js";

/**
 * Block devices whose health is read: SCSI/SATA disks and NVMe controllers or namespaces, by
 * kernel name only (what `smartctl --scan` lists under /dev). Anything else (RAID passthrough
 * such as /dev/bus/0 -d megaraid,N) is skipped and named in the evidence.
 */
export const SMART_DEVICE = /^(?:sd[a-z]{1,3}|hd[a-z]|nvme[0-9]{1,3}(?:n[0-9]{1,3})?)$/;

/** The commands this monitor runs through `ctx.privileged` (gatehouse-probe under the units). */
export const SMARTCTL = {
  scan: ["smartctl", "--json", "--scan"],
  health: ["smartctl", "--json", "-H", "-A"],
} as const;

const PRIVILEGED = {
  "smartctl-scan": { kind: "command", argv: SMARTCTL.scan },
  // One trailing argument, `/dev/<name>`, with <name> matching SMART_DEVICE in full.
  "smartctl-health": { kind: "command", argv: SMARTCTL.health, param: { prefix: "/dev/", pattern: SMART_DEVICE } },
} as const satisfies PrivilegedQueries;

/** smartctl's exit status is a bit mask (failing drive, old errors…): any value comes with JSON. */
const ANY_EXIT = Array.from({ length: 256 }, (_, i) => i);


interface Space {
  path: DiskPath;
  entry: DfEntry;
}

async function readSpace(ctx: ProbeContext, paths: readonly DiskPath[]): Promise<{ spaces: Space[]; unreadable: string[] }> {
  const spaces: Space[] = [];
  const unreadable: string[] = [];
  for (const p of paths) {
    try {
      const [entry] = parseDf((await ctx.run("df", ["-P", "-k", "--", p.path], { signal: ctx.signal, timeoutMs: 15_000 })).stdout);
      if (!entry) throw new Error("df printed no file system");
      spaces.push({ path: p, entry });
    } catch (e) {
      if (e instanceof CommandNotFound) throw new ProbeError("df is not installed (coreutils)");
      if (!(e instanceof CommandError) && !(e instanceof ProbeError)) throw e;
      const why = e instanceof CommandFailed ? e.stderr.trim().split("\n")[0] : undefined;
      unreadable.push(`${p.label} (${p.path}): ${why || e.message}`);
    }
  }
  return { spaces, unreadable };
}

interface Smart {
  state: SmartState;
  drives: SmartHealth[];
  notes: string[];
}

async function readSmart(ctx: ProbeContext): Promise<Smart> {
  const run = async (argv: readonly string[]) => (await ctx.privileged.run(argv[0]!, argv.slice(1), { signal: ctx.signal, timeoutMs: 60_000, okExitCodes: ANY_EXIT })).stdout;
  let scanned;
  try {
    scanned = parseSmartctlScan(await run(SMARTCTL.scan));
  } catch (e) {
    if (e instanceof CommandNotFound) return { state: "not_installed", drives: [], notes: ["SMART: smartctl is not installed (apt install smartmontools)"] };
    if (e instanceof CommandPermissionDenied) return { state: "not_permitted", drives: [], notes: [`SMART: not readable: ${e.message}`] };
    // SMART trouble never spoils the free-space reading: it becomes an unknown SMART finding.
    if (e instanceof CommandError || e instanceof Error) return { state: "error", drives: [], notes: [`SMART: smartctl --json --scan: ${e.message}`] };
    throw e;
  }
  const notes: string[] = [];
  const drives: SmartHealth[] = [];
  let denied = 0;
  for (const d of scanned) {
    const name = d.path.startsWith("/dev/") ? d.path.slice(5) : "";
    if (!SMART_DEVICE.test(name)) {
      notes.push(`SMART: ${d.path} (${d.type}) skipped: only plain SATA/SCSI and NVMe devices are read`);
      continue;
    }
    let health: SmartHealth;
    try {
      health = parseSmartctlHealth(await run([...SMARTCTL.health, `/dev/${name}`]));
    } catch (e) {
      if (e instanceof CommandPermissionDenied) {
        denied++;
        continue;
      }
      if (!(e instanceof Error)) throw e;
      return { state: "error", drives, notes: [...notes, `SMART: smartctl -H -A /dev/${name}: ${e.message}`] };
    }
    if (health.permissionDenied) denied++;
    else if (health.passed === undefined) notes.push(`SMART: /dev/${name}: no health reported (${health.errors.join("; ") || "no SMART support"})`);
    else drives.push(health);
  }
  if (drives.length === 0 && denied > 0) return { state: "not_permitted", drives, notes: [...notes, `SMART: ${denied} device(s) not readable without privilege (see the disk monitor's README)`] };
  if (drives.length === 0) return { state: "no_devices", drives, notes: [...notes, "SMART: no SMART-capable device"] };
  return { state: "checked", drives, notes };
}

function describe(s: Space): string {
  return `${s.path.label} (${s.path.path}) on ${s.entry.mountedOn}`;
}

async function probe(ctx: ProbeContext, config: DiskConfig): Promise<{ facts: Facts; evidence: string }> {
  const { spaces, unreadable } = await readSpace(ctx, config.paths);
  const data = spaces.find((s) => s.path.role === "data");
  const others = spaces.filter((s) => s.path.role !== "data").sort((a, b) => freePercent(a.entry) - freePercent(b.entry));
  const lowest = others[0];
  const smart: Smart = config.smart ? await readSmart(ctx) : { state: "off", drives: [], notes: [] };
  const byMount = new Map<string, Space[]>();
  for (const s of spaces) byMount.set(s.entry.mountedOn, [...(byMount.get(s.entry.mountedOn) ?? []), s]);
  const filesystems = [...byMount.values()].map((group) => {
    const e = group[0]!.entry;
    return `${e.mountedOn} (${group.map((s) => s.path.label).join(", ")}): ${freePercent(e)}% free, ${formatBytes(e.available)} of ${formatBytes(e.used + e.available)}`;
  });
  const facts: Facts = {
    [DISK_FACT.dataDir]: data ? describe(data) : (config.paths.find((p) => p.role === "data")?.path ?? null),
    [DISK_FACT.dataFree]: data ? freePercent(data.entry) : null,
    [DISK_FACT.backupLowest]: lowest ? describe(lowest) : null,
    [DISK_FACT.backupFree]: lowest ? freePercent(lowest.entry) : null,
    [DISK_FACT.filesystems]: filesystems,
    [DISK_FACT.unreadable]: unreadable,
    [DISK_FACT.smart]: smart.state,
    [DISK_FACT.smartDevices]: smart.drives.map((d) => `${d.device}${d.model ? ` ${d.model}` : ""}: ${d.passed ? "PASSED" : "FAILED"}`),
    [DISK_FACT.smartFailing]: smart.drives.flatMap((d) => d.failing.map((f) => `${d.device}: ${f}`)),
    [DISK_FACT.smartWarnings]: smart.drives.flatMap((d) => d.warnings.map((w) => `${d.device}: ${w}`)),
  };
  const evidence = [...filesystems, ...unreadable.map((u) => `not checked: ${u}`), ...(facts[DISK_FACT.smartDevices] as string[]).map((d) => `SMART ${d}`), ...smart.notes];
  return { facts, evidence: evidence.join("\n").slice(0, 4000) };
}

/** The disk monitor definition (registered in src/monitors/index.ts). */
export const disk = defineMonitor<DiskConfig>({
  id: "disk",
  title: "Disk space and drive health",
  control: "backups",
  defaultSchedule: "*/15 * * * *",
  starter: "# disk:      { warn_free_percent: 15, fail_free_percent: 5, smart: true }   # the data dir's and backup targets' disks",
  enabledByDefault: true,
  parseConfig: parseDiskConfig,
  withSite: (config, site) => ({
    ...config,
    paths: [
      { role: "data", label: "data dir", path: site.dataDir },
      ...site.storagePaths.map((p) => ({ role: "backup" as const, ...p })),
      ...config.paths,
    ],
  }),
  probe,
  policy: (facts, config) => diskPolicy(facts, config),
  baselineFacts: [],
  privileged: PRIVILEGED,
});
