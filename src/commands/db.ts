/** `gatehouse db backup FILE` and `gatehouse db restore FILE`: Gatehouse's own data. */
import { chownSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { appendAudit } from "../agent/audit.js";
import { UserError } from "../kit/errors.js";
import { backupDatabase, restoreDatabase } from "../agent/store/backup.js";
import { DB_FILE, openDatabase, openStore } from "../agent/store/db.js";
import { holdDataDirLock, LOCK_FILE } from "../agent/store/lock.js";
import { configOption, loadConfigFrom, onePositional, osActor, parseCommandArgs, type Command } from "./command.js";

const backupUsage = "gatehouse db backup FILE [--config FILE | --data-dir DIR]";
const restoreUsage = "gatehouse db restore FILE [--config FILE | --data-dir DIR] [--force]";

/** --data-dir wins (for install scripts and recovery without a valid config), else the config's. */
function dataDirOf(values: { config?: string; "data-dir"?: string }): string {
  return values["data-dir"] ?? loadConfigFrom(values.config).dataDir;
}

export const dbBackupCommand: Command = {
  words: ["db", "backup"],
  summary: "copy the live database to FILE (SQLite online backup; safe while the daemon runs)",
  usage: backupUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, "data-dir": { type: "string" } }, backupUsage);
    const file = onePositional(positionals, "FILE", backupUsage);
    const dataDir = dataDirOf(values);
    if (!existsSync(join(dataDir, DB_FILE))) throw new UserError(`no database in ${dataDir} (nothing to back up)`, 1);
    // Read-only: a backup never migrates or otherwise changes the live database.
    const db = openStore(dataDir, { readonly: true });
    try {
      const info = await backupDatabase(db, file);
      io.out(`backed up ${join(dataDir, DB_FILE)} to ${info.file} (${info.bytes} bytes, schema ${info.schemaVersion}, ${info.auditRows} audit rows)`);
      return 0;
    } finally {
      db.close();
    }
  },
};

export const dbRestoreCommand: Command = {
  words: ["db", "restore"],
  summary: "replace the database with a backup (stop the daemon first); the old one is kept",
  usage: restoreUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, "data-dir": { type: "string" }, force: { type: "boolean" } }, restoreUsage);
    const file = onePositional(positionals, "FILE", restoreUsage);
    const dataDir = dataDirOf(values);
    let lock;
    try {
      lock = holdDataDirLock(dataDir, "gatehouse db restore");
    } catch (e) {
      throw new UserError((e as Error).message, 1);
    }
    try {
      return await restoreLocked(dataDir, file, values.force ?? false, io);
    } finally {
      lock.release();
    }
  },
};

/** The restore itself, run while holding the data dir's lock. */
async function restoreLocked(dataDir: string, file: string, force: boolean, io: { out(t: string): void }): Promise<number> {
  const r = await restoreDatabase(dataDir, file, { force });
  const live = join(dataDir, DB_FILE);
  const db = openDatabase(live);
  try {
    db.transaction(() => {
      appendAudit(db, {
        actor: osActor(),
        action: "db.restore",
        target: r.restored.file,
        detail: { schema: r.restored.schemaVersion, audit_rows: r.restored.auditRows, previous: r.previous ?? null, audit_ok: r.audit.ok },
      });
    })();
  } finally {
    db.close();
  }
  // Run as root for a daemon running as gatehouse: hand the files back to the data dir's owner.
  if (process.getuid?.() === 0) {
    const owner = statSync(dataDir);
    for (const f of [live, `${live}-wal`, `${live}-shm`]) if (existsSync(f)) chownSync(f, owner.uid, owner.gid);
  }
  io.out(
    [
      `restored ${live} from ${r.restored.file} (schema ${r.restored.schemaVersion}${r.migrated ? `, migrated forward ${r.migrated} step(s)` : ""})`,
      r.previous ? `the database it replaced is kept as ${r.previous}` : "there was no database before",
      r.audit.ok ? `audit chain verified: ${r.audit.rows} rows` : `WARNING: audit chain broken at row ${r.audit.brokenAt}: ${r.audit.reason}`,
      "start the daemon again: systemctl start gatehouse",
    ].join("\n"),
  );
  return r.audit.ok ? 0 : 2;
}
