/**
 * Parses POSIX `df -P -k -- PATH` output: one file system per line, sizes in KiB. The mount
 * point is the last column and may contain spaces; the device name may too (a tmpfs label).
 */
import { ProbeError } from "../monitor.js";

/** One line of `df -P -k`. */
export interface DfEntry {
  filesystem: string;
  /** Bytes. */
  size: number;
  used: number;
  available: number;
  mountedOn: string;
}

const LINE = /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%\s+(\/.*)$/;

/** Parses `df -P -k` output; throws on anything that is not df's POSIX format. */
export function parseDf(text: string): DfEntry[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0 || !/^Filesystem\s+1024-blocks\s+Used\s+Available\s+Capacity\s+Mounted on$/.test(lines[0]!.trim())) {
    throw new ProbeError(`df: unexpected header: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`);
  }
  return lines.slice(1).map((line) => {
    const m = LINE.exec(line);
    if (!m) throw new ProbeError(`df: unexpected line: ${JSON.stringify(line.slice(0, 120))}`);
    return { filesystem: m[1]!, size: Number(m[2]) * 1024, used: Number(m[3]) * 1024, available: Number(m[4]) * 1024, mountedOn: m[6]! };
  });
}

/**
 * Free space as the percentage of what users may fill (available / (used + available)), the
 * complement of df's own Capacity column: blocks reserved for root do not count as free.
 */
export function freePercent(e: Pick<DfEntry, "used" | "available">): number {
  const usable = e.used + e.available;
  return usable === 0 ? 0 : Math.round((e.available / usable) * 1000) / 10;
}
