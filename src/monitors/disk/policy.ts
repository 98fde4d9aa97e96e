/**
 * Pure policy of the disk monitor: free space of the data dir's and the backup targets' file
 * systems against the configured thresholds, and SMART health. No SMART-capable device (or
 * no smartctl) is quiet: no finding, a line of evidence.
 */
import type { Facts, PolicyFinding, Status } from "../monitor.js";
import type { DiskConfig } from "./config.js";

/** Fact keys of the disk monitor. */
export const DISK_FACT = {
  dataDir: "disk.data_dir",
  dataFree: "disk.data_free_percent",
  backupLowest: "disk.backup_lowest",
  backupFree: "disk.backup_free_percent",
  filesystems: "disk.filesystems",
  unreadable: "disk.unreadable_paths",
  smart: "disk.smart",
  smartDevices: "disk.smart_devices",
  smartFailing: "disk.smart_failing",
  smartWarnings: "disk.smart_warnings",
} as const;

/** Values of `disk.smart`: read, or why not (quiet, except `error`, an unknown finding). */
export type SmartState = "checked" | "no_devices" | "not_installed" | "not_permitted" | "off" | "error";

function spaceStatus(free: number, c: Pick<DiskConfig, "warnFreePercent" | "failFreePercent">): Status {
  return free < c.failFreePercent ? "fail" : free < c.warnFreePercent ? "warn" : "pass";
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Facts → findings. */
export function diskPolicy(facts: Facts, config: Pick<DiskConfig, "warnFreePercent" | "failFreePercent">): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const limits = `(warn below ${config.warnFreePercent}%, fail below ${config.failFreePercent}%)`;
  const dataFree = facts[DISK_FACT.dataFree];
  const dataDir = String(facts[DISK_FACT.dataDir] ?? "the data dir");
  out.push(
    typeof dataFree === "number"
      ? { rule: "disk.data_space", status: spaceStatus(dataFree, config), message: `${dataDir}: ${dataFree}% free ${limits}`, facts: [DISK_FACT.dataFree, DISK_FACT.dataDir] }
      : { rule: "disk.data_space", status: "unknown", message: `free space of ${dataDir} could not be read`, facts: [DISK_FACT.dataFree, DISK_FACT.unreadable] },
  );
  const backupFree = facts[DISK_FACT.backupFree];
  if (typeof backupFree === "number") {
    const status = spaceStatus(backupFree, config);
    const hint = status === "pass" ? "" : ": a full backup disk makes backups fail silently; free space or move the target";
    out.push({
      rule: "disk.backup_space",
      status,
      message: `${String(facts[DISK_FACT.backupLowest])}: ${backupFree}% free ${limits}${hint}`,
      facts: [DISK_FACT.backupFree, DISK_FACT.backupLowest],
    });
  }
  const unreadable = list(facts[DISK_FACT.unreadable]);
  if (unreadable.length > 0) {
    out.push({ rule: "disk.unreadable_paths", status: "warn", message: `free space not checked: ${unreadable.join("; ")}`, facts: [DISK_FACT.unreadable] });
  }
  if (facts[DISK_FACT.smart] === "error") {
    out.push({ rule: "disk.smart_health", status: "unknown", message: "SMART health could not be read (the evidence says why)", facts: [DISK_FACT.smart] });
  }
  if (facts[DISK_FACT.smart] === "checked") {
    const failing = list(facts[DISK_FACT.smartFailing]);
    const warnings = list(facts[DISK_FACT.smartWarnings]);
    const devices = list(facts[DISK_FACT.smartDevices]);
    out.push(
      failing.length > 0
        ? { rule: "disk.smart_health", status: "fail", message: `drive failing: ${failing.join("; ")}; back it up and replace it`, facts: [DISK_FACT.smartFailing] }
        : warnings.length > 0
          ? { rule: "disk.smart_health", status: "warn", message: `early signs of drive failure: ${warnings.join("; ")}`, facts: [DISK_FACT.smartWarnings] }
          : { rule: "disk.smart_health", status: "pass", message: `SMART health passed on ${devices.length} drive${devices.length === 1 ? "" : "s"}`, facts: [DISK_FACT.smartDevices] },
    );
  }
  return out;
}
