/**
 * Parses the output of `apt-get -s -o Debug::NoLocking=1 dist-upgrade` (a simulated upgrade:
 * it changes nothing and needs no lock). Security updates are told apart by their origin:
 * Debian's and Ubuntu's security archives are the only suites whose name ends in `-security`.
 */
import { ProbeError } from "../monitor.js";

/** One package the simulated upgrade would install or upgrade. */
export interface AptPending {
  pkg: string;
  /** Installed version; null for a package that would be newly installed (e.g. a new kernel). */
  from: string | null;
  to: string;
  /** Origins as apt prints them, e.g. `Debian-Security:12/oldstable-security`. */
  origins: string[];
  security: boolean;
}

export interface AptSimulation {
  pending: AptPending[];
  /** Packages apt would not upgrade (held, or needing new dependencies under `upgrade`). */
  keptBack: string[];
  /** Packages the upgrade would remove. */
  removals: string[];
  summary: { upgraded: number; newlyInstalled: number; toRemove: number; notUpgraded: number };
}

const SUMMARY = /^(\d+) upgraded, (\d+) newly installed, (\d+) to remove and (\d+) not upgraded\.$/;
const INST = /^Inst (\S+)(?: \[([^\]]+)\])? \((\S+) (.*?) ?\[[^\]]+\]\)/;
const REMV = /^Remv (\S+)/;

/** `pkg old→new`, the item form used by the `patches.pending_security` fact. */
export function pendingItem(p: AptPending): string {
  return `${p.pkg} ${p.from ?? "none"}→${p.to}`;
}

function isSecurityOrigin(origin: string): boolean {
  // "Debian-Security:12/oldstable-security", "Ubuntu:22.04/jammy-security"
  const suite = origin.slice(origin.lastIndexOf("/") + 1);
  return suite.endsWith("-security");
}

/**
 * Parses a simulated upgrade. Throws ProbeError carrying apt's own `E:` lines when apt failed
 * (broken lists, unmet dependencies), or when the text is not apt-get output at all.
 */
export function parseAptGetSimulate(text: string): AptSimulation {
  const lines = text.split(/\r?\n/);
  const errors = lines.filter((l) => l.startsWith("E: ")).map((l) => l.slice(3).trim());
  if (errors.length > 0) throw new ProbeError(`apt-get failed: ${errors.join("; ")}`);

  const pending: AptPending[] = [];
  const keptBack: string[] = [];
  const removals: string[] = [];
  let summary: AptSimulation["summary"] | undefined;
  let inKeptBack = false;

  for (const line of lines) {
    if (inKeptBack) {
      if (line.startsWith("  ")) {
        keptBack.push(...line.trim().split(/\s+/));
        continue;
      }
      inKeptBack = false;
    }
    if (line === "The following packages have been kept back:") {
      inKeptBack = true;
      continue;
    }
    const s = SUMMARY.exec(line);
    if (s) {
      summary = { upgraded: Number(s[1]), newlyInstalled: Number(s[2]), toRemove: Number(s[3]), notUpgraded: Number(s[4]) };
      continue;
    }
    const inst = INST.exec(line);
    if (inst) {
      const origins = inst[4]!.split(", ").map((o) => o.trim()).filter((o) => o.length > 0);
      pending.push({
        pkg: inst[1]!,
        from: inst[2] ?? null,
        to: inst[3]!,
        origins,
        security: origins.some(isSecurityOrigin),
      });
      continue;
    }
    const remv = REMV.exec(line);
    if (remv) removals.push(remv[1]!);
  }

  if (!summary) {
    const first = lines.find((l) => l.trim().length > 0) ?? "";
    throw new ProbeError(`unrecognised apt-get output (no summary line); it began: ${JSON.stringify(first.slice(0, 120))}`);
  }
  if (pending.length !== summary.upgraded + summary.newlyInstalled) {
    throw new ProbeError(
      `apt-get output is inconsistent: ${pending.length} Inst lines but the summary says ${summary.upgraded} upgraded and ${summary.newlyInstalled} newly installed`,
    );
  }
  return { pending, keptBack, removals, summary };
}
