/**
 * Parses `dnf check-update` listings and `needs-restarting -r` output (RHEL family). dnf
 * prints one `name.arch  version  repo` row per update and wraps a long name onto its own line.
 */
import { ProbeError } from "../monitor.js";

export interface DnfUpdate {
  /** `name.arch` */
  pkg: string;
  version: string;
  repo: string;
}

/** `name.arch →version`, the item form of `patches.pending_security` on dnf hosts (dnf does not print the installed version). */
export function dnfItem(u: DnfUpdate): string {
  return `${u.pkg} →${u.version}`;
}

const NOISE = [/^Last metadata expiration check/, /^Security: /, /^Updating Subscription/, /^This system is/, /^Unable to read consumer/];

/** Parses `dnf -q -C check-update [--security]` stdout (exit 0 or 100). Throws ProbeError on rows it cannot read. */
export function parseDnfCheckUpdate(text: string): DnfUpdate[] {
  const updates: DnfUpdate[] = [];
  let carried: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (/^Obsoleting Packages/.test(line)) break;
    if (NOISE.some((r) => r.test(line))) continue;
    const cols = line.split(/\s+/);
    if (carried !== undefined) {
      cols.unshift(carried);
      carried = undefined;
    }
    if (cols.length === 1 && /^[^\s]+\.[A-Za-z0-9_]+$/.test(cols[0]!)) {
      carried = cols[0]!;
      continue;
    }
    if (cols.length !== 3 || !/\.[A-Za-z0-9_]+$/.test(cols[0]!) || !/^[0-9]/.test(cols[1]!)) {
      throw new ProbeError(`unrecognised dnf check-update row: ${JSON.stringify(line.slice(0, 120))}`);
    }
    updates.push({ pkg: cols[0]!, version: cols[1]!, repo: cols[2]! });
  }
  if (carried !== undefined) throw new ProbeError(`dnf check-update output ends inside a row: ${JSON.stringify(carried)}`);
  return updates;
}

/** Parses `needs-restarting -r`: exit 1 means a reboot is needed; the text lists why. */
export function parseNeedsRestarting(text: string, exitCode: number): { rebootRequired: boolean; reasons: string[] } {
  if (exitCode !== 0 && exitCode !== 1) throw new ProbeError(`needs-restarting -r exited with ${exitCode}`);
  const saysNo = /No core libraries or services have been updated/.test(text);
  const saysYes = /Reboot is required/.test(text);
  if (!saysNo && !saysYes) throw new ProbeError("unrecognised needs-restarting -r output");
  const reasons = text
    .split(/\r?\n/)
    .map((l) => /^\s*\*\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
  return { rebootRequired: exitCode === 1, reasons };
}

/** One advisory from `dnf updateinfo info`: its id and when the vendor last updated it. */
export interface DnfAdvisory {
  id: string;
  type: string;
  /** ISO time; dnf prints the advisory's `updated` timestamp (UTC) without a zone. */
  updated: string;
}

const ADVISORY_FIELD = /^\s*(Update ID|Type|Updated|Issued)\s*:\s*(.*)$/;

/**
 * Parses `dnf -q -C updateinfo info --security` (dnf 4 prints each advisory under a `=`*79
 * banner with right-aligned `Label : value` lines). An advisory published at `updated` (or
 * `Issued`, as dnf5 prints it) was available from then on. Throws ProbeError on an advisory
 * without a readable date, or text that holds no advisory at all.
 */
export function parseDnfUpdateinfo(text: string): DnfAdvisory[] {
  const out: DnfAdvisory[] = [];
  let current: Partial<DnfAdvisory> & { issued?: string } = {};
  const flush = () => {
    if (current.id === undefined) return;
    const when = current.issued ?? current.updated;
    const ms = when === undefined ? NaN : Date.parse(`${when.replace(" ", "T")}Z`);
    if (Number.isNaN(ms)) throw new ProbeError(`dnf advisory ${current.id} has no readable date (${JSON.stringify(when ?? "")})`);
    out.push({ id: current.id, type: current.type ?? "unknown", updated: new Date(ms).toISOString() });
    current = {};
  };
  let sawBanner = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^={20,}$/.test(line.trim())) {
      sawBanner = true;
      flush();
      continue;
    }
    const m = ADVISORY_FIELD.exec(line);
    if (!m) continue;
    const value = m[2]!.trim();
    if (m[1] === "Update ID") current.id = value;
    else if (m[1] === "Type") current.type = value;
    else if (m[1] === "Updated") current.updated = value;
    else current.issued = value;
  }
  flush();
  if (out.length === 0 && text.trim() !== "" && !sawBanner) {
    const first = text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? "";
    throw new ProbeError(`unrecognised dnf updateinfo output; it began: ${JSON.stringify(first.slice(0, 80))}`);
  }
  return out;
}
