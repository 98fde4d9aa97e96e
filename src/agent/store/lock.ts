/**
 * The daemon's hold on its data dir: `gatehouse serve` holds `gatehouse.lock` for its whole life,
 * and `db restore` takes it too, so a restore never replaces the database under a running daemon
 * (nor a daemon starts in the middle of a restore). The lock is SQLite's own file lock on a tiny
 * database in EXCLUSIVE locking mode: the kernel drops it when the process ends, even by kill -9.
 */
import Database from "better-sqlite3";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./db.js";

export const LOCK_FILE = "gatehouse.lock";

export interface DataDirLock {
  release(): void;
}

/** Takes the data dir's lock, or throws a StoreError saying who must stop first. */
export function holdDataDirLock(dataDir: string, holder: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_FILE);
  closeSync(openSync(file, "a", 0o600));
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = MEMORY");
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until close.
    db.exec("CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), what TEXT NOT NULL, pid INTEGER NOT NULL, since INTEGER NOT NULL)");
    db.prepare("INSERT OR REPLACE INTO holder (id, what, pid, since) VALUES (1, ?, ?, ?)").run(holder, process.pid, Date.now());
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code?.startsWith("SQLITE_BUSY")) {
      throw new StoreError(`the data dir ${dataDir} is in use by a running Gatehouse (gatehouse serve, or a db restore): stop it first (systemctl stop gatehouse)`);
    }
    throw e;
  }
  return { release: () => db.close() };
}
