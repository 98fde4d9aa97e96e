/**
 * Opens the SQLite store: WAL, a busy timeout, full sync (an acknowledged outbox row survives
 * power loss, not only a killed process), foreign keys, and forward-only migrations.
 * One process writes: the daemon. CLI commands that write take the same short transactions.
 */
import Database from "better-sqlite3";
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS, type Migration } from "./migrations/index.js";

export type Db = Database.Database;

export class StoreError extends Error {
  override readonly name = "StoreError";
}

export const DB_FILE = "gatehouse.db";

/**
 * Opens (creating if needed) the database in `dataDir` and migrates it forward. The database and
 * its -wal/-shm files are made 0600 at every writable open, whatever the umask: they hold the
 * password hashes. A new database file is created 0600 before SQLite sees it (SQLite creates
 * -wal and -shm with the database file's mode).
 */
export function openStore(dataDir: string, opts: { readonly?: boolean; migrations?: readonly Migration[] } = {}): Db {
  const file = join(dataDir, DB_FILE);
  if (opts.readonly) return openDatabase(file, opts);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  closeSync(openSync(file, "a", 0o600));
  const db = openDatabase(file, opts);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return db;
}

/** Opens a database file (":memory:" for tests) and migrates it forward. */
export function openDatabase(file: string, opts: { readonly?: boolean; migrations?: readonly Migration[] } = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new StoreError(`cannot open database ${file}: ${(e as Error).message}`);
  }
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!opts.readonly) {
    useWal(db);
    db.pragma("synchronous = FULL");
  }
  db.pragma("foreign_keys = ON");
  if (!opts.readonly) migrate(db, opts.migrations ?? MIGRATIONS);
  return db;
}

const BUSY_TIMEOUT_MS = 5000;

/**
 * Puts the file in WAL mode (persistent: a no-op once done). Switching needs an exclusive lock,
 * and SQLite answers SQLITE_BUSY at once, without its busy handler, while another connection holds
 * a write lock on a file still in rollback mode — two processes opening a new store together (the
 * daemon and a CLI command) hit that. So it retries, a few milliseconds apart, for as long as the
 * busy timeout would have waited.
 */
function useWal(db: Db): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      if (db.pragma("journal_mode", { simple: true }) !== "wal") db.pragma("journal_mode = WAL");
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw e;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** Applies pending migrations in order, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT");
  const known = migrations.at(-1)?.version ?? 0;
  // The version is read inside the write transaction that applies what is missing (BEGIN
  // IMMEDIATE): two processes opening a new store at once (a CLI command beside the daemon)
  // wait for each other instead of both running migration 1.
  return db.transaction(() => {
    const current = (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
    if (current > known) {
      throw new StoreError(`database schema version ${current} is newer than this Gatehouse knows (${known}); downgrades are not supported`);
    }
    let applied = 0;
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      applied++;
    }
    return applied;
  }).immediate();
}

// --- daemon reads

/** Whether the database still answers a query (the systemd watchdog's test of liveness). */
export function databaseAnswers(db: Db): boolean {
  return db.open && db.prepare("SELECT 1").pluck().get() === 1;
}

// --- compliance reads

import { statementsFor } from "./statements.js";

const complianceStatements = statementsFor((db: Db) => ({
  firstMigration: db.prepare<[], number | null>("SELECT min(applied_at) FROM schema_migrations").pluck(),
}));

/** When the first migration ran (the store's creation), or null on a database never migrated. */
export function firstMigrationAt(db: Db): number | null {
  return complianceStatements(db).firstMigration.get() ?? null;
}
