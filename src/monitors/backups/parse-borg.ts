/**
 * Pure parsers for borg 1.2 output: `borg list --json --last 1` and the `--log-json` error
 * lines it writes to stderr.
 */
import { ProbeError } from "../monitor.js";
import { oneLine, type AccessError, type AccessErrorKind } from "./access-error.js";
import { parseJsonOutput } from "./json-output.js";

export interface BorgArchive {
  name: string;
  id: string;
  /** ISO 8601 in UTC (the probe runs borg with TZ=UTC, since borg prints local time without a zone). */
  time: string;
}

export interface BorgList {
  latest: BorgArchive | null;
  repositoryId: string;
  encryption: string;
}

/** Parses `borg list --json --last 1` run with TZ=UTC. */
export function parseBorgList(text: string): BorgList {
  const data = parseJsonOutput("borg list", text);
  if (typeof data !== "object" || data === null || !Array.isArray((data as { archives?: unknown }).archives)) {
    throw new ProbeError('borg list: expected an object with an "archives" array');
  }
  const o = data as { archives: unknown[]; repository?: { id?: unknown }; encryption?: { mode?: unknown } };
  let latest: BorgArchive | null = null;
  o.archives.forEach((a, i) => {
    const arch = archive(a, i);
    if (!latest || Date.parse(arch.time) > Date.parse(latest.time)) latest = arch;
  });
  return {
    latest,
    repositoryId: typeof o.repository?.id === "string" ? o.repository.id : "",
    encryption: typeof o.encryption?.mode === "string" ? o.encryption.mode : "",
  };
}

function archive(a: unknown, i: number): BorgArchive {
  if (typeof a !== "object" || a === null) throw new ProbeError(`borg list: archive ${i} is not an object`);
  const o = a as Record<string, unknown>;
  const raw = typeof o.time === "string" ? o.time : typeof o.start === "string" ? o.start : "";
  const ms = parseUtc(raw);
  if (ms === undefined) throw new ProbeError(`borg list: archive ${i} has no valid "time"`);
  const name = typeof o.name === "string" ? o.name : typeof o.archive === "string" ? o.archive : "";
  if (!name) throw new ProbeError(`borg list: archive ${i} has no "name"`);
  return { name, id: typeof o.id === "string" ? o.id : "", time: new Date(ms).toISOString() };
}

function parseUtc(raw: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec(raw);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${(m[2] ?? "").slice(0, 4)}${m[3] ?? "Z"}`);
  return Number.isFinite(ms) ? ms : undefined;
}

const BY_MSGID: Record<string, AccessErrorKind> = {
  PassphraseWrong: "wrong_password",
  PasscommandFailure: "password_file_missing",
  "Repository.DoesNotExist": "repository_missing",
  "Repository.InvalidRepository": "not_a_repository",
  "Repository.InvalidRepositoryConfig": "not_a_repository",
  LockTimeout: "repository_locked",
  LockFailed: "repository_locked",
  "Cache.CacheInitAbortedError": "refused",
  "Cache.RepositoryAccessAborted": "refused",
  "Cache.EncryptionMethodMismatch": "refused",
  "Cache.RepositoryReplay": "refused",
};

/**
 * Classifies borg's stderr. With `--log-json` each line is a JSON object carrying a stable
 * `msgid`; plain-text stderr (older borg, or a crash before logging started) is matched on words.
 */
export function parseBorgError(stderr: string): AccessError {
  const events: { msgid?: string; message?: string; type?: string }[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    if (!line.trim().startsWith("{")) continue;
    try {
      const o: unknown = JSON.parse(line);
      if (typeof o === "object" && o !== null) events.push(o as (typeof events)[number]);
    } catch {
      /* not a log line: fall through to the text match */
    }
  }
  const prompt = events.find((e) => e.type === "question_prompt");
  for (const e of events) {
    const kind = e.msgid ? BY_MSGID[e.msgid] : undefined;
    if (!kind) continue;
    if (kind === "refused" && prompt?.message) {
      return { kind, message: `borg refused: ${oneLine(prompt.message)} (answered no: the monitor never says yes for you)` };
    }
    return { kind, message: oneLine(e.message ?? e.msgid ?? "") };
  }
  const errorEvent = events.find((e) => typeof e.message === "string" && e.type === "log_message");
  const text = errorEvent?.message ?? stderr;
  const first = oneLine(text);
  if (/passphrase .*incorrect/i.test(text)) return { kind: "wrong_password", message: first };
  if (/does not exist/i.test(text) && /repository/i.test(text)) return { kind: "repository_missing", message: first };
  if (/is not a valid repository/i.test(text)) return { kind: "not_a_repository", message: first };
  if (/Failed to create\/acquire the lock/i.test(text)) return { kind: "repository_locked", message: first };
  if (/permission denied/i.test(text)) return { kind: "permission_denied", message: first };
  return { kind: "failed", message: first || "borg failed without an error message" };
}
