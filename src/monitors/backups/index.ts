/**
 * backups monitor (control: backups): is each configured backup set there, readable, fresh,
 * and (for directories) not suspiciously small? Reads directories with fs, restic and borg
 * repositories through their own tools. Never writes to a repository except the lock that
 * an opted-in `restic check` takes, which is restic's own coordination.
 */
import { join } from "node:path";
import { defineMonitor, type FactValue, type Facts, type ProbeContext } from "../monitor.js";
import { accessErrorFromCommand, oneLine, type AccessError } from "./access-error.js";
import { parseBackupsConfig, type BackupSet, type BackupsConfig } from "./config.js";
import { parseBorgError, parseBorgList } from "./parse-borg.js";
import { parseResticCheck, parseResticError, parseResticSnapshots, type ResticCheck } from "./parse-restic.js";
import { backupsPolicy, setFact } from "./policy.js";
import { summarizeDir, type DirEntry } from "./summarize-dir.js";

/** What one set contributes: its facts (without the key prefix) and a line of evidence. */
interface SetObservation {
  facts: Record<string, FactValue>;
  evidence: string;
}

const EMPTY_FIELDS = {
  error_kind: null,
  error: null,
  latest_at: null,
  age_hours: null,
  count: null,
  latest_name: null,
  latest_host: null,
  latest_paths: null,
  total_bytes: null,
  latest_bytes: null,
  previous_bytes: null,
  check: null,
  check_error: null,
} satisfies Record<string, FactValue>;

function failed(set: BackupSet, err: AccessError): SetObservation {
  return {
    facts: { ...EMPTY_FIELDS, kind: set.source.kind, error_kind: err.kind, error: err.message },
    evidence: `${set.name}: ${err.kind}: ${err.message}`,
  };
}

function ageHours(iso: string | null, now: Date): number | null {
  return iso ? Math.round(((now.getTime() - Date.parse(iso)) / 3_600_000) * 10) / 10 : null;
}

async function observeDir(ctx: ProbeContext, set: BackupSet, path: string): Promise<SetObservation> {
  let names: string[];
  try {
    names = await ctx.readDir(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return failed(set, { kind: "repository_missing", message: `${path} does not exist or is not a directory` });
    if (code === "EACCES" || code === "EPERM") return failed(set, { kind: "permission_denied", message: `cannot list ${path} (${code})` });
    return failed(set, { kind: "failed", message: `cannot list ${path}: ${(e as Error).message}` });
  }
  const entries: DirEntry[] = [];
  // Hidden names are skipped: tools write in-progress archives as dot-files and rename when done.
  for (const name of names.filter((n) => !n.startsWith("."))) {
    try {
      const st = await ctx.lstat(join(path, name));
      if (st.kind === "file") entries.push({ name, bytes: st.size, mtimeMs: st.mtime.getTime() });
    } catch {
      /* removed between readdir and lstat: a rotation in progress, not an error */
    }
  }
  const s = summarizeDir(entries);
  const latestAt = s.latest?.time ?? null;
  return {
    facts: {
      ...EMPTY_FIELDS,
      kind: "path",
      latest_at: latestAt,
      age_hours: ageHours(latestAt, ctx.now()),
      count: s.count,
      latest_name: s.latest?.name ?? null,
      total_bytes: s.totalBytes,
      latest_bytes: s.latest?.bytes ?? null,
      previous_bytes: s.previousBytes,
    },
    evidence: `${set.name}: ${path}: ${s.count} files, ${s.totalBytes} bytes; newest ${s.latest ? `${s.latest.name} (${s.latest.bytes} bytes, ${s.latest.time})` : "none"}`,
  };
}

async function observeRestic(
  ctx: ProbeContext,
  set: BackupSet,
  src: Extract<BackupSet["source"], { kind: "restic" }>,
): Promise<SetObservation> {
  const opts = {
    env: { RESTIC_REPOSITORY: src.repository, RESTIC_PASSWORD_FILE: src.passwordFile },
    timeoutMs: set.timeoutMs,
    maxOutputBytes: 64 * 1024 * 1024,
    signal: ctx.signal,
  };
  // --no-lock: listing must never be blocked by (or block) a running backup; --no-cache: the
  // monitor leaves nothing behind in anyone's cache directory.
  let stdout: string;
  try {
    stdout = (await ctx.run("restic", ["snapshots", "--json", "--no-lock", "--no-cache"], opts)).stdout;
  } catch (e) {
    return failed(set, accessErrorFromCommand(e, "restic", parseResticError));
  }
  let snaps;
  try {
    snaps = parseResticSnapshots(stdout);
  } catch (e) {
    return failed(set, { kind: "bad_output", message: (e as Error).message });
  }
  const latest = snaps.latest;
  let check: ResticCheck | null = null;
  if (src.check) {
    try {
      const r = await ctx.run("restic", ["check", "--no-cache"], opts);
      check = parseResticCheck(`${r.stdout}\n${r.stderr}`);
    } catch (e) {
      const err = e as { stdout?: unknown; stderr?: unknown };
      if (typeof err.stderr === "string") check = parseResticCheck(`${String(err.stdout ?? "")}\n${err.stderr}`);
      else {
        const a = accessErrorFromCommand(e, "restic", parseResticError);
        check = { result: "failed", detail: a.message };
      }
    }
  }
  return {
    facts: {
      ...EMPTY_FIELDS,
      kind: "restic",
      latest_at: latest?.time ?? null,
      age_hours: ageHours(latest?.time ?? null, ctx.now()),
      count: snaps.count,
      latest_name: latest?.shortId ?? null,
      latest_host: latest?.host ?? null,
      latest_paths: latest?.paths ?? null,
      check: check?.result ?? null,
      check_error: check && check.detail ? check.detail : null,
    },
    evidence:
      `${set.name}: restic ${src.repository}: ${snaps.count} snapshots; latest ${latest ? `${latest.shortId} ${latest.time} on ${latest.host} (${latest.paths.join(", ")})` : "none"}` +
      (check ? `; check: ${check.result}${check.detail ? ` (${check.detail})` : ""}` : ""),
  };
}

async function observeBorg(
  ctx: ProbeContext,
  set: BackupSet,
  src: Extract<BackupSet["source"], { kind: "borg" }>,
): Promise<SetObservation> {
  let passphrase: string;
  try {
    passphrase = (await ctx.privileged.readFile(src.passphraseFile)).replace(/\r?\n$/, "");
  } catch (e) {
    return failed(set, { kind: "password_file_missing", message: `cannot read ${src.passphraseFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  // Borg prints archive times in local time without a zone, hence TZ=UTC. The *_IS_OK=no
  // answers make borg refuse (with a message) instead of waiting for a "yes" on stdin.
  const env: Record<string, string> = {
    BORG_REPO: src.repository,
    BORG_PASSPHRASE: passphrase,
    TZ: "UTC",
    BORG_RELOCATED_REPO_ACCESS_IS_OK: "no",
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "no",
    ...(src.baseDir ? { BORG_BASE_DIR: src.baseDir } : {}),
  };
  // Wait for a lock for at most half the timeout, so a lock shows as "locked", not "hung".
  const lockWait = String(Math.max(1, Math.floor(set.timeoutMs / 2000)));
  let stdout: string;
  try {
    stdout = (
      await ctx.run("borg", ["--log-json", "--lock-wait", lockWait, "list", "--json", "--last", "1"], {
        env,
        timeoutMs: set.timeoutMs,
        signal: ctx.signal,
      })
    ).stdout;
  } catch (e) {
    return failed(set, accessErrorFromCommand(e, "borg", parseBorgError));
  }
  let list;
  try {
    list = parseBorgList(stdout);
  } catch (e) {
    return failed(set, { kind: "bad_output", message: (e as Error).message });
  }
  const latest = list.latest;
  return {
    facts: {
      ...EMPTY_FIELDS,
      kind: "borg",
      latest_at: latest?.time ?? null,
      age_hours: ageHours(latest?.time ?? null, ctx.now()),
      latest_name: latest?.name ?? null,
    },
    evidence: `${set.name}: borg ${src.repository} (${list.encryption || "unknown encryption"}): latest ${latest ? `${latest.name} ${latest.time}` : "none"}`,
  };
}

async function observeSet(ctx: ProbeContext, set: BackupSet): Promise<SetObservation> {
  const src = set.source;
  try {
    if (src.kind === "path") return await observeDir(ctx, set, src.path);
    if (src.kind === "restic") return await observeRestic(ctx, set, src);
    return await observeBorg(ctx, set, src);
  } catch (e) {
    // One set's surprise must not spoil the others (node_exporter's collector isolation).
    return failed(set, { kind: "failed", message: oneLine(e instanceof Error ? e.message : String(e)) });
  }
}

/** The backups monitor definition. */
export const backups = defineMonitor<BackupsConfig>({
  id: "backups",
  title: "Backups",
  control: "backups",
  defaultSchedule: "7 * * * *",
  starter: "# backups:  [ { name: nightly, path: /srv/backup, max_age: 26h } ]",
  enabledByDefault: true,
  parseConfig: parseBackupsConfig,
  async probe(ctx, config) {
    const facts: Facts = { "backups.sets": config.sets.map((s) => s.name) };
    const evidence: string[] = [];
    if (config.sets.length === 0) evidence.push("no backup sets configured under monitors.backups");
    for (const set of config.sets) {
      const o = await observeSet(ctx, set);
      for (const [field, value] of Object.entries(o.facts)) facts[setFact(set.name, field)] = value;
      evidence.push(o.evidence);
    }
    return { facts, evidence: evidence.join("\n").slice(0, 4000) };
  },
  policy: backupsPolicy,
  baselineFacts: [],
  // Local targets only: a remote repository's free space is not this box's to watch.
  storagePaths: (c) =>
    c.sets.flatMap((set) => {
      const path = set.source.kind === "path" ? set.source.path : set.source.repository;
      return path.startsWith("/") ? [{ label: `backup set ${set.name}`, path }] : [];
    }),
});
