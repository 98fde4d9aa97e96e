/**
 * How long pending security updates have really been waiting, from what the box itself records
 * (so the answer is true on Gatehouse's first check, not counted from its install):
 * - the `Date:` of each apt Release/InRelease file under /var/lib/apt/lists (file mtime when a
 *   flat repository has no Date): every version that file lists was available from then on;
 * - the last apt run that applied every available upgrade, from /var/log/apt/history.log*
 *   (rotated `.gz` copies too), else the last upgrade in /var/log/dpkg.log*.
 */
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { ProbeError, type FileView } from "../monitor.js";
import type { AptPending } from "./parse-apt-get.js";
import { parseAptHistory, parseDpkgLog, upgradesEverything } from "./parse-apt-history.js";
import { parseAptRelease, releaseMatchesOrigin, releaseName, type AptRelease } from "./parse-apt-release.js";

/** The reads this module needs; paths are the box's own (`/var/log/apt`), the caller roots them. */
export type AgeFiles = Pick<FileView, "readFile" | "readBytes" | "readDir" | "stat">;

/** One suite's share of the pending security updates: available at least since `since`. */
export interface Availability {
  since: string;
  /** Where the date comes from, e.g. `bookworm-security` (its Release file). */
  source: string;
  count: number;
}

/** The last time the box applied every available upgrade, and how far its logs reach. */
export interface UpgradeHistory {
  /** ISO time of the last full upgrade; null when the logs record none. */
  last: string | null;
  /** The file that recorded it, or the files read when none did. */
  source: string | null;
  /** ISO time of the oldest log line read: with no upgrade, none since at least then. */
  logsSince: string | null;
  /** Files that could not be parsed (kept out of the answer, shown in the evidence). */
  problems: string[];
}

/** `<iso> <source> <count>`, the item form of the `patches.security_available_since` fact. */
export function availabilityItem(a: Availability): string {
  return `${a.since} ${a.source} ${a.count}`;
}

/** Reads an availability item back (policy side); undefined for anything else. */
export function parseAvailabilityItem(item: string): Availability | undefined {
  const m = /^(\S+) (\S+) (\d+)$/.exec(item);
  if (!m || Number.isNaN(Date.parse(m[1]!))) return undefined;
  return { since: m[1]!, source: m[2]!, count: Number(m[3]) };
}

/** A local `YYYY-MM-DDTHH:MM:SS` (what apt and dpkg write) read in the host's zone, as ISO. */
export function localToIso(local: string): string {
  return new Date(local).toISOString();
}

/** A Release file of apt's lists, with the date it was published (or written here). */
export type AptReleaseFile = AptRelease & { date: string };

/** Every Release file under apt's lists, and the ones that could not be read. */
export async function readReleases(files: AgeFiles, listsDir: string): Promise<{ releases: AptReleaseFile[]; problems: string[] }> {
  let names: string[];
  try {
    names = (await files.readDir(listsDir)).filter((n) => /_(In)?Release$/.test(n)).sort();
  } catch {
    return { releases: [], problems: [`${listsDir} cannot be listed`] };
  }
  const releases: AptReleaseFile[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const path = join(listsDir, name);
    try {
      const r = parseAptRelease(await files.readFile(path));
      releases.push({ ...r, date: r.date ?? (await files.stat(path)).mtime.toISOString() });
    } catch (e) {
      problems.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { releases, problems };
}

/**
 * Groups pending security updates by the oldest Release file that lists their version: each
 * was available at least since that file's date. Updates no Release file accounts for are left
 * out (the remembered first-seen still covers them).
 */
export function securityAvailability(releases: readonly AptReleaseFile[], security: readonly AptPending[]): Availability[] {
  const groups = new Map<string, Availability>();
  for (const p of security) {
    const matching = releases.filter((r) => p.origins.some((o) => releaseMatchesOrigin(r, o)));
    const oldest = matching.sort((a, b) => a.date.localeCompare(b.date))[0];
    if (!oldest) continue;
    const key = `${oldest.date} ${releaseName(oldest)}`;
    const g = groups.get(key) ?? { since: oldest.date, source: releaseName(oldest), count: 0 };
    g.count++;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => a.since.localeCompare(b.since));
}

async function readLog(files: AgeFiles, path: string): Promise<string> {
  if (!path.endsWith(".gz")) return files.readFile(path);
  try {
    return gunzipSync(await files.readBytes(path)).toString("utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code?.startsWith("Z_")) throw new ProbeError(`not gzip data (${(e as Error).message})`);
    throw e;
  }
}

/** `history.log`, `history.log.1`, `history.log.2.gz`…, newest first. */
async function rotated(files: AgeFiles, dir: string, base: string): Promise<string[]> {
  let names: string[];
  try {
    names = await files.readDir(dir);
  } catch {
    return [];
  }
  const gen = (n: string) => Number(/^[^.]+\.log(?:\.(\d+))?(?:\.gz)?$/.exec(n)?.[1] ?? 0);
  return names
    .filter((n) => n === base || new RegExp(`^${base.replaceAll(".", "\\.")}\\.\\d+(\\.gz)?$`).test(n))
    .sort((a, b) => gen(a) - gen(b))
    .map((n) => join(dir, n));
}

/**
 * The last full upgrade recorded by apt's history (rotated copies included), else the last
 * upgrade in dpkg.log when the box has no apt history. Unreadable or garbled files are noted,
 * never fatal: the age then rests on the other evidence.
 */
export async function upgradeHistory(files: AgeFiles): Promise<UpgradeHistory> {
  const out: UpgradeHistory = { last: null, source: null, logsSince: null, problems: [] };
  const older = (iso: string) => {
    if (out.logsSince === null || iso < out.logsSince) out.logsSince = iso;
  };
  const history = await rotated(files, "/var/log/apt", "history.log");
  for (const path of history) {
    try {
      const txs = parseAptHistory(await readLog(files, path));
      for (const tx of txs) older(localToIso(tx.start));
      const last = txs.filter(upgradesEverything).at(-1);
      if (last && (out.last === null || localToIso(last.start) > out.last)) {
        out.last = localToIso(last.start);
        out.source = path;
      }
    } catch (e) {
      out.problems.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (history.length > 0) {
    if (out.last === null && out.logsSince !== null) out.source = "/var/log/apt/history.log";
    return out;
  }
  for (const path of await rotated(files, "/var/log", "dpkg.log")) {
    try {
      const log = parseDpkgLog(await readLog(files, path));
      if (log.since) older(localToIso(log.since));
      const last = log.upgrades.at(-1);
      if (last && (out.last === null || localToIso(last.at) > out.last)) {
        out.last = localToIso(last.at);
        out.source = path;
      }
    } catch (e) {
      out.problems.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (out.last === null && out.logsSince !== null) out.source = "/var/log/dpkg.log";
  return out;
}
