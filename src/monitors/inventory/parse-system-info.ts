/**
 * Turns a systeminformation snapshot into inventory facts. Pure, so it is tested on recorded
 * snapshots. Disks and NICs become stable one-line items because the agent diffs them item by
 * item: a new disk or NIC is drift.
 */
import { ProbeError } from "../monitor.js";
import type { SystemInfoSnapshot } from "./system-info.js";

export interface HostInventory {
  hostname: string;
  os: string;
  kernel: string;
  arch: string;
  cpu: string;
  memoryBytes: number;
  /** `device size-bytes model serial` per physical disk. */
  disks: string[];
  /** `name mac` per physical network interface. */
  networkInterfaces: string[];
}

/** Block devices that are not disks a person could add or remove. */
const PSEUDO_DISK = /^(zram|ram|loop|nbd)\d/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function words(...parts: (string | number | undefined)[]): string {
  return parts
    .map((p) => (p === undefined ? "" : String(p).trim()))
    .filter((p) => p !== "")
    .join(" ");
}

/** Throws ProbeError when the snapshot lacks the shape systeminformation returns. */
export function parseSystemInfo(snap: SystemInfoSnapshot): HostInventory {
  const s = snap as unknown;
  if (!isObj(s) || !isObj(s.osInfo) || !isObj(s.cpu) || !isObj(s.mem)) throw new ProbeError("systeminformation returned no OS, CPU or memory data");
  if (!Array.isArray(s.diskLayout) || !Array.isArray(s.blockDevices) || !Array.isArray(s.networkInterfaces)) {
    throw new ProbeError("systeminformation returned no disk or network lists");
  }
  const { osInfo, cpu, mem } = snap;
  if (typeof osInfo.hostname !== "string" || typeof mem.total !== "number") throw new ProbeError("systeminformation returned no hostname or memory size");

  // diskLayout knows vendor and serial; in VMs it is often empty, so fall back to lsblk's view.
  const disks =
    snap.diskLayout.length > 0
      ? snap.diskLayout.map((d) => words(d.device, d.size, d.vendor, d.name, d.serialNum))
      : snap.blockDevices
          .filter((b) => b.type === "disk" && !PSEUDO_DISK.test(b.name))
          .map((b) => words(b.device ?? `/dev/${b.name}`, b.size, b.model, b.serial));

  const nics = snap.networkInterfaces
    .filter((n) => !n.internal && !n.virtual && typeof n.iface === "string")
    .map((n) => words(n.iface, n.mac || "no-mac"));

  return {
    hostname: osInfo.hostname,
    os: words(osInfo.distro, osInfo.release, osInfo.codename ? `(${osInfo.codename})` : ""),
    kernel: osInfo.kernel,
    arch: osInfo.arch,
    cpu: `${words(cpu.manufacturer, cpu.brand)}, ${cpu.cores} cores`,
    memoryBytes: mem.total,
    disks: [...new Set(disks)].sort(),
    networkInterfaces: [...new Set(nics)].sort(),
  };
}
