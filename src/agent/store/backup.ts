/**
 * Gatehouse's own data: an online backup of the live database (SQLite's backup API through
 * better-sqlite3: consistent while the daemon keeps writing), a nightly rotated copy in the data
 * dir, and a checked restore.
 */
import Database from "better-sqlite3";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { verifyAudit, type AuditVerification } from "./audit.js";
import { DB_FILE, migrate, StoreError, type Db } from "./db.js";
import { MIGRATIONS } from "./migrations/index.js";
import { siteToday } from "../../kit/time.js";

/** Folder (inside the data dir) of the nightly copies. */
export const BACKUP_DIR = "backups";
const NIGHTLY = /^gatehouse-(\d{4}-\d{2}-\d{2})\.db$/;

export interface BackupInfo {
  file: string;
  bytes: number;
  schemaVersion: number;
  auditRows: number;
}

/** What a backup file holds, after checking it is a sound Gatehouse database. */
export interface BackupCheck extends BackupInfo {
  audit: AuditVerification;
}

/**
 * Writes a consistent copy of `db` to `file` (mode 0600), through a temporary file in the same
 * folder renamed into place, so a crash never leaves a half-written backup under the final name.
 */
export async function backupDatabase(db: Db, file: string): Promise<BackupInfo> {
  const target = resolve(file);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  try {
    await db.backup(tmp);
    chmodSync(tmp, 0o600);
    // One self-contained file: out of WAL mode, so that opening the copy (to check it here, or to
    // restore it later) leaves no -wal/-shm files beside it.
    const t = new Database(tmp, { fileMustExist: true });
    try {
      t.pragma("journal_mode = DELETE");
    } finally {
      t.close();
    }
    const check = checkBackup(tmp);
    renameSync(tmp, target);
    return { ...check, file: target };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e instanceof StoreError ? e : new StoreError(`backup to ${target} failed: ${(e as Error).message}`);
  }
}

/**
 * Opens a backup read-only and checks it: SQLite integrity, a Gatehouse schema this version
 * knows, and the audit chain. Throws StoreError when it is not usable.
 */
export function checkBackup(file: string): BackupCheck {
  if (!existsSync(file)) throw new StoreError(`${file}: no such file`);
  const cleanup = sidecarCleanup(file);
  try {
    return checkBackupFile(file);
  } finally {
    cleanup();
  }
}

/**
 * A WAL-mode copy (made by an older version) gets -wal/-shm files when opened; the returned
 * function removes those that were not there before (call it after closing).
 */
function sidecarCleanup(file: string): () => void {
  const sidecars = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  return () => {
    for (const f of sidecars) rmSync(f, { force: true });
  };
}

function checkBackupFile(file: string): BackupCheck {
  let b: Db;
  try {
    b = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new StoreError(`${file}: cannot open as a database: ${(e as Error).message}`);
  }
  try {
    let integrity: string;
    try {
      integrity = String(b.pragma("integrity_check", { simple: true }));
    } catch (e) {
      throw new StoreError(`${file}: not a Gatehouse database (${(e as Error).message})`);
    }
    if (integrity !== "ok") throw new StoreError(`${file}: SQLite integrity check failed: ${integrity}`);
    const hasMigrations = b.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!hasMigrations) throw new StoreError(`${file}: not a Gatehouse database (no schema_migrations table)`);
    const version = (b.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    if (version > known) throw new StoreError(`${file}: schema version ${version} is newer than this Gatehouse knows (${known}); restore it with the version that wrote it`);
    const audit = verifyAudit(b);
    return { file, bytes: statSync(file).size, schemaVersion: version, auditRows: audit.rows, audit };
  } finally {
    b.close();
  }
}

export interface RestoreResult {
  restored: BackupCheck;
  /** Where the database that was replaced was saved (absent when there was none). */
  previous?: string;
  /** Migrations applied after the restore (a backup from an older version). */
  migrated: number;
  audit: AuditVerification;
}

/**
 * Replaces the database in `dataDir` with the backup `file`. Run it with the daemon stopped.
 * The current database (if any) is first saved as backups/pre-restore-<time>.db. A backup whose
 * audit chain does not verify is refused unless `force`.
 */
export async function restoreDatabase(dataDir: string, file: string, opts: { force?: boolean; now?: Date } = {}): Promise<RestoreResult> {
  const source = resolve(file);
  const restored = checkBackup(source);
  if (!restored.audit.ok && !opts.force) {
    throw new StoreError(`${source}: the audit chain in this backup does not verify (${restored.audit.reason}); refusing to restore it (--force to restore anyway)`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const live = join(dataDir, DB_FILE);
  let previous: string | undefined;
  if (existsSync(live)) {
    const stamp = (opts.now ?? new Date()).toISOString().replace(/[:.]/g, "-");
    previous = join(dataDir, BACKUP_DIR, `pre-restore-${stamp}.db`);
    const current = new Database(live, { fileMustExist: true });
    try {
      await backupDatabase(current, previous);
    } finally {
      current.close();
    }
  }
  // Copy pages into the live file through SQLite (it takes the locks and rewrites the WAL),
  // rather than renaming files under a process that may still hold them open.
  const cleanup = sidecarCleanup(source);
  const src = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await src.backup(live);
  } finally {
    src.close();
    cleanup();
  }
  chmodSync(live, 0o600);
  const db = new Database(live);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    const migrated = migrate(db);
    const audit = verifyAudit(db);
    return { restored, ...(previous ? { previous } : {}), migrated, audit };
  } finally {
    db.close();
  }
}

/** The nightly copies in `dataDir`, newest first. */
export function listNightlyBackups(dataDir: string): { file: string; date: string; mtimeMs: number }[] {
  const dir = join(dataDir, BACKUP_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: NIGHTLY.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({ file: join(dir, name), date: m[1]!, mtimeMs: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

/**
 * Writes today's copy `backups/gatehouse-YYYY-MM-DD.db` (date in `timezone`) and keeps the
 * newest `keep` copies. Returns the new copy and the files removed.
 */
export async function nightlyBackup(db: Db, dataDir: string, opts: { keep?: number; now?: Date; timezone?: string } = {}): Promise<{ backup: BackupInfo; removed: string[] }> {
  const keep = Math.max(1, opts.keep ?? 7);
  const date = siteToday((opts.now ?? new Date()).getTime(), opts.timezone ?? "UTC");
  const backup = await backupDatabase(db, join(dataDir, BACKUP_DIR, `gatehouse-${date}.db`));
  const removed: string[] = [];
  for (const old of listNightlyBackups(dataDir).slice(keep)) {
    rmSync(old.file, { force: true });
    removed.push(old.file);
  }
  return { backup, removed };
}
