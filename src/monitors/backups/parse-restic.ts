/**
 * Pure parsers for restic 0.14 output: `restic snapshots --json`, its error text, and the
 * combined output of `restic check`.
 */
import { ProbeError } from "../monitor.js";
import { oneLine, type AccessError } from "./access-error.js";
import { parseJsonOutput } from "./json-output.js";

export interface ResticSnapshot {
  id: string;
  shortId: string;
  /** ISO 8601 in UTC. */
  time: string;
  host: string;
  paths: string[];
  tags: string[];
}

export interface ResticSnapshots {
  count: number;
  /** The snapshot with the newest time, or null for an empty repository. */
  latest: ResticSnapshot | null;
}

/** Parses `restic snapshots --json`: a JSON array of snapshot objects. */
export function parseResticSnapshots(text: string): ResticSnapshots {
  const data = parseJsonOutput("restic snapshots", text);
  // restic prints `null` instead of `[]` for an empty repository in some versions.
  if (data === null) return { count: 0, latest: null };
  if (!Array.isArray(data)) throw new ProbeError("restic snapshots: expected a JSON array of snapshots");
  const snapshots = data.map((s, i) => snapshot(s, i));
  let latest: ResticSnapshot | null = null;
  for (const s of snapshots) if (!latest || Date.parse(s.time) > Date.parse(latest.time)) latest = s;
  return { count: snapshots.length, latest };
}

function snapshot(s: unknown, i: number): ResticSnapshot {
  if (typeof s !== "object" || s === null) throw new ProbeError(`restic snapshots: item ${i} is not an object`);
  const o = s as Record<string, unknown>;
  const time = typeof o.time === "string" ? Date.parse(o.time) : NaN;
  if (!Number.isFinite(time)) throw new ProbeError(`restic snapshots: item ${i} has no valid "time"`);
  if (typeof o.id !== "string") throw new ProbeError(`restic snapshots: item ${i} has no "id"`);
  return {
    id: o.id,
    shortId: typeof o.short_id === "string" ? o.short_id : o.id.slice(0, 8),
    time: new Date(time).toISOString(),
    host: typeof o.hostname === "string" ? o.hostname : "",
    paths: strings(o.paths),
    tags: strings(o.tags),
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Classifies restic's stderr after a failed command. */
export function parseResticError(stderr: string): AccessError {
  const text = stderr.trim();
  const first = oneLine(text);
  if (/wrong password or no key found/i.test(text)) return { kind: "wrong_password", message: first };
  if (/Resolving password failed/i.test(text) || /password.*(does not exist|no such file)/i.test(text)) {
    return { kind: "password_file_missing", message: first };
  }
  if (/permission denied/i.test(text)) return { kind: "permission_denied", message: first };
  if (/Is there a repository at the following location\?/i.test(text) || /unable to open config file/i.test(text)) {
    return { kind: "repository_missing", message: first };
  }
  if (/repository is already locked|unable to create lock/i.test(text)) {
    return { kind: "repository_locked", message: lockLine(text) };
  }
  return { kind: "failed", message: first || "restic failed without an error message" };
}

function lockLine(text: string): string {
  return oneLine(text.split(/\r?\n/).find((l) => /already locked/i.test(l)) ?? text);
}

/** Result of `restic check`: the `backups.set.<name>.check` fact. */
export type ResticCheckResult = "ok" | "errors" | "locked" | "failed";

export interface ResticCheck {
  result: ResticCheckResult;
  /** The first line that says what is wrong; empty when ok. */
  detail: string;
}

/** Parses the combined stdout and stderr of `restic check` (which splits its messages). */
export function parseResticCheck(text: string): ResticCheck {
  if (/repository is already locked|unable to create lock/i.test(text)) return { result: "locked", detail: lockLine(text) };
  if (/Fatal: repository contains errors/i.test(text)) {
    const problem = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => /^(pack |error|tree |blob |Pack ID|.*does not exist|.*damaged|.*unreferenced|.*not referenced)/i.test(l) && !/^check /.test(l));
    return { result: "errors", detail: oneLine(problem ?? "restic check found errors in the repository") };
  }
  if (/^no errors were found$/m.test(text)) return { result: "ok", detail: "" };
  const fatal = text.split(/\r?\n/).find((l) => /^Fatal:/.test(l.trim()));
  return { result: "failed", detail: oneLine(fatal ?? (text || "restic check printed nothing")) };
}
