/**
 * Parses what Debian-family boxes record about the upgrades they applied:
 * `/var/log/apt/history.log` (one stanza per apt run, with its command line) and
 * `/var/log/dpkg.log` (one line per package action). Times in both are the box's local time
 * without a zone, so they are returned as `YYYY-MM-DDTHH:MM:SS` strings and the caller decides
 * the zone (the probe reads them as the host's local time, which is what apt wrote).
 */
import { ProbeError } from "../monitor.js";

/** One package upgraded by an apt run. */
export interface AptUpgrade {
  pkg: string;
  from: string;
  to: string;
}

/** One apt run from history.log. */
export interface AptTransaction {
  /** Local time, `YYYY-MM-DDTHH:MM:SS`. */
  start: string;
  commandline: string | null;
  upgrades: AptUpgrade[];
}

/** What dpkg.log says about upgrades. */
export interface DpkgLog {
  /** Local time of the first line, i.e. how far back the file reaches. */
  since: string | null;
  upgrades: Array<AptUpgrade & { at: string }>;
}

const START = /^Start-Date:\s*(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2})\s*$/;
const DPKG_LINE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (\S+)(?: (.*))?$/;
/** apt options that take the next argument as their value. */
const OPTION_WITH_VALUE = new Set(["-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release"]);
/** Sub-commands that apply every available upgrade, not just the packages named. */
const UPGRADE_ALL = new Set(["upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade"]);

function firstLine(text: string): string {
  return JSON.stringify((text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? "").slice(0, 80));
}

function parseUpgradeList(value: string): AptUpgrade[] {
  const out: AptUpgrade[] = [];
  // `libc6:amd64 (2.36-9+deb12u10, 2.36-9+deb12u14), tzdata:all (2025a-0, 2025b-0)`
  for (const m of value.matchAll(/(\S+?)(?::[a-z0-9-]+)? \(([^,()]+), ([^,()]+)\)/g)) {
    out.push({ pkg: m[1]!, from: m[2]!.trim(), to: m[3]!.trim() });
  }
  return out;
}

/**
 * Parses history.log (or a rotated copy). Stanzas without a readable Start-Date (a line cut by a
 * crash) are skipped; a non-empty text with no stanza at all is not a history log: ProbeError.
 */
export function parseAptHistory(text: string): AptTransaction[] {
  const out: AptTransaction[] = [];
  let current: AptTransaction | undefined;
  for (const line of text.split(/\r?\n/)) {
    const start = START.exec(line);
    if (start) {
      current = { start: `${start[1]}T${start[2]}`, commandline: null, upgrades: [] };
      out.push(current);
      continue;
    }
    if (line.trim() === "") {
      current = undefined;
      continue;
    }
    if (!current) continue;
    if (line.startsWith("Commandline: ")) current.commandline = line.slice("Commandline: ".length).trim();
    else if (line.startsWith("Upgrade: ")) current.upgrades.push(...parseUpgradeList(line.slice("Upgrade: ".length)));
  }
  if (out.length === 0 && text.trim() !== "") throw new ProbeError(`not an apt history log (no Start-Date line); it began: ${firstLine(text)}`);
  return out;
}

/**
 * Whether an apt run applied every available upgrade (`apt-get upgrade`, `apt full-upgrade`,
 * `aptitude safe-upgrade`, unattended-upgrades) rather than installing the packages it names.
 */
export function upgradesEverything(tx: AptTransaction): boolean {
  if (tx.commandline === null || tx.upgrades.length === 0) return false;
  if (/(^|\/)unattended-upgrade\b/.test(tx.commandline)) return true;
  const words = tx.commandline.split(/\s+/).filter(Boolean);
  if (!/(^|\/)(apt|apt-get|aptitude)$/.test(words[0] ?? "")) return false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (OPTION_WITH_VALUE.has(w)) i++;
    else if (!w.startsWith("-")) return UPGRADE_ALL.has(w);
  }
  return false;
}

/**
 * Parses dpkg.log (or a rotated copy): the upgrades it records and how far back it reaches.
 * Lines that are not dpkg.log lines are skipped; a non-empty text with none at all: ProbeError.
 */
export function parseDpkgLog(text: string): DpkgLog {
  const log: DpkgLog = { since: null, upgrades: [] };
  let lines = 0;
  for (const line of text.split(/\r?\n/)) {
    const m = DPKG_LINE.exec(line);
    if (!m) continue;
    lines++;
    const at = `${m[1]}T${m[2]}`;
    if (log.since === null || at < log.since) log.since = at;
    if (m[3] !== "upgrade") continue;
    const [pkg, from, to] = (m[4] ?? "").split(" ");
    if (pkg && from && to) log.upgrades.push({ at, pkg: pkg.replace(/:[a-z0-9-]+$/, ""), from, to });
  }
  if (lines === 0 && text.trim() !== "") throw new ProbeError(`not a dpkg log (no dated action line); it began: ${firstLine(text)}`);
  return log;
}
