/**
 * Parses an apt `Release` / `InRelease` file (Debian repository format, RFC 822 style fields,
 * InRelease wrapped in a clear-signed PGP message). Its `Date:` is when the archive published
 * that index, so every version listed in it was available from then on: the box's own proof of
 * how long a pending update has been waiting.
 */
import { ProbeError } from "../monitor.js";

/** The fields of a Release file that name the suite and date it. */
export interface AptRelease {
  origin: string | null;
  label: string | null;
  suite: string | null;
  codename: string | null;
  version: string | null;
  /** `Date:` as an ISO timestamp; null when the file has none (some flat repositories). */
  date: string | null;
}

const FIELD = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/;

/**
 * Parses the header of a Release or InRelease file. Throws ProbeError when the text names no
 * suite at all (not a Release file) or carries a `Date:` that is not a date.
 */
export function parseAptRelease(text: string): AptRelease {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("-----BEGIN PGP SIGNATURE")) break;
    if (line.startsWith(" ") || line.startsWith("-----") || line.trim() === "") continue;
    const m = FIELD.exec(line);
    if (m && !fields.has(m[1]!.toLowerCase())) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  const get = (k: string) => fields.get(k) || null;
  const release: AptRelease = {
    origin: get("origin"),
    label: get("label"),
    suite: get("suite"),
    codename: get("codename"),
    version: get("version"),
    date: null,
  };
  if (release.suite === null && release.codename === null) {
    const first = text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? "";
    throw new ProbeError(`not an apt Release file (no Suite or Codename); it began: ${JSON.stringify(first.slice(0, 80))}`);
  }
  const raw = get("date");
  if (raw !== null) {
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) throw new ProbeError(`apt Release file has an unreadable Date: ${JSON.stringify(raw.slice(0, 60))}`);
    release.date = new Date(ms).toISOString();
  }
  return release;
}

/**
 * Whether a Release file is the index apt names in a simulated upgrade's origin, printed as
 * `Label:Version/Suite` (e.g. `Debian-Security:12/oldstable-security`, `Ubuntu:22.04/jammy-security`).
 */
export function releaseMatchesOrigin(release: AptRelease, origin: string): boolean {
  const m = /^(.*?):(.*)\/([^/]+)$/.exec(origin);
  if (!m) return false;
  const [, who, version, suite] = m as unknown as [string, string, string, string];
  const whoMatches = who === (release.label ?? release.origin) || who === release.origin;
  const suiteMatches = suite === release.suite || suite === release.codename;
  const versionMatches = version === "" || release.version === null || version === release.version;
  return whoMatches && suiteMatches && versionMatches;
}

/** The name a person knows a suite by (`bookworm-security`), for messages. */
export function releaseName(release: AptRelease): string {
  return release.codename ?? release.suite ?? "unnamed";
}
