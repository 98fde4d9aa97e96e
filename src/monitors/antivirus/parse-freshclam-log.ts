/**
 * Parses freshclam's update log (`UpdateLogFile`, /var/log/clamav/freshclam.log on Debian):
 * the outcome of the most recent update run. Timestamps in the log are local time without a
 * zone, so they are returned as naive `YYYY-MM-DDTHH:MM:SS` strings for the probe to place.
 */
import { ProbeError } from "../monitor.js";

export interface FreshclamRun {
  /** Naive local time the last run started, or null when the log has no run (never ran). */
  startedAt: string | null;
  result: "ok" | "failed" | "unknown" | null;
  /** `ERROR:` messages of the last run, in order. */
  errors: string[];
  /** `name version` of each database the last run reported (updated or up to date). */
  databases: string[];
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const STARTED = /ClamAV update process started at \w{3} (\w{3}) +(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})/;
const LOGTIME = /^\w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4} -> /;
const DATABASE = /^(\S+\.c[vl]d) (?:updated|database is up-to-date) \(version: (\d+)/;

/** Throws ProbeError when non-empty text contains no freshclam run at all. */
export function parseFreshclamLog(text: string): FreshclamRun {
  const lines = text.split(/\r?\n/).map((l) => l.replace(LOGTIME, ""));
  let start = -1;
  lines.forEach((l, i) => {
    if (STARTED.test(l)) start = i;
  });
  if (start < 0) {
    if (text.trim() === "") return { startedAt: null, result: null, errors: [], databases: [] };
    throw new ProbeError("freshclam log holds no update run (\"ClamAV update process started at …\"): is it really freshclam's log?");
  }
  const m = STARTED.exec(lines[start]!)!;
  const month = MONTHS.indexOf(m[1]!) + 1;
  const startedAt = `${m[4]}-${String(month).padStart(2, "0")}-${m[2]!.padStart(2, "0")}T${m[3]}`;
  const run = lines.slice(start + 1);
  const errors = run.filter((l) => l.startsWith("ERROR: ")).map((l) => l.slice(7).trim());
  const databases = run.flatMap((l) => {
    const d = DATABASE.exec(l);
    return d ? [`${d[1]} ${d[2]}`] : [];
  });
  const result = errors.length > 0 ? "failed" : databases.length > 0 ? "ok" : "unknown";
  return { startedAt, result, errors, databases };
}
