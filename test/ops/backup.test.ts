/**
 * Gatehouse's own data: online backup → wipe → restore with the audit chain still verifying;
 * restore refusals; the nightly rotated copy; forward-only migrations from the first schema.
 */
import Database from "better-sqlite3";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendAudit, verifyAudit } from "../../src/agent/audit.js";
import { backupDatabase, checkBackup, listNightlyBackups, nightlyBackup, restoreDatabase } from "../../src/agent/store/backup.js";
import { DB_FILE, migrate, openDatabase, openStore, StoreError } from "../../src/agent/store/db.js";
import { MIGRATIONS } from "../../src/agent/store/migrations/index.js";
import { main } from "../../src/commands/index.js";
import { freePort } from "../agent/notify/peers.js";
import { BUILT_CLI, quietServeConfig, startServe } from "../helpers/serve.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "gh-backup-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function seed(dataDir: string, rows = 5) {
  const db = openStore(dataDir);
  db.transaction(() => {
    for (let i = 0; i < rows; i++) appendAudit(db, { actor: "os:alice", action: "baseline.approve", target: `firewall-${i}`, detail: { reason: `change ${i}` }, at: 1_700_000_000_000 + i });
  })();
  db.prepare("INSERT INTO baselines (monitor, facts_json, approved_at, approved_by) VALUES (?, ?, ?, ?)").run("firewall", '{"firewall.enabled":true}', 1, "os:alice");
  return db;
}

describe("db backup and restore", () => {
  it("backup → wipe → restore keeps every row and the audit chain verifies", async () => {
    const dataDir = join(tempDir(), "data");
    const db = seed(dataDir);
    const file = join(tempDir(), "gatehouse-backup.db");
    // The daemon keeps writing while the online backup runs.
    const info = await backupDatabase(db, file);
    appendAudit(db, { actor: "os:bob", action: "after.backup" });
    db.close();
    expect(info.auditRows).toBe(5);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    rmSync(dataDir, { recursive: true, force: true });
    expect(existsSync(join(dataDir, DB_FILE))).toBe(false);

    const r = await restoreDatabase(dataDir, file);
    expect(r.previous).toBeUndefined();
    expect(r.audit).toEqual({ ok: true, rows: 5 });

    const restored = openStore(dataDir);
    try {
      expect(verifyAudit(restored)).toEqual({ ok: true, rows: 5 });
      expect(restored.prepare("SELECT count(*) AS n FROM baselines").get()).toEqual({ n: 1 });
      expect(restored.prepare("SELECT count(*) AS n FROM audit WHERE action = 'after.backup'").get()).toEqual({ n: 0 });
      // The restored store keeps working: the chain goes on from the restored head.
      appendAudit(restored, { actor: "os:alice", action: "db.restore", target: file });
      expect(verifyAudit(restored)).toEqual({ ok: true, rows: 6 });
    } finally {
      restored.close();
    }
    expect(statSync(join(dataDir, DB_FILE)).mode & 0o777).toBe(0o600);
  });

  it("restoring over a database keeps the replaced one as a pre-restore copy", async () => {
    const dataDir = join(tempDir(), "data");
    const db = seed(dataDir, 3);
    const file = join(tempDir(), "b.db");
    await backupDatabase(db, file);
    appendAudit(db, { actor: "os:bob", action: "later" });
    db.close();
    const r = await restoreDatabase(dataDir, file, { now: new Date("2026-11-28T03:00:00Z") });
    expect(r.previous).toMatch(/backups\/pre-restore-2026-11-28T03-00-00-000Z\.db$/);
    expect(checkBackup(r.previous!).auditRows).toBe(4);
    expect(r.audit).toEqual({ ok: true, rows: 3 });
  });

  it("refuses a file that is not a Gatehouse database, or is too new", async () => {
    const d = tempDir();
    const junk = join(d, "junk.db");
    writeFileSync(junk, "hello, this is not sqlite\n".repeat(100));
    await expect(restoreDatabase(join(d, "data"), junk)).rejects.toThrow(StoreError);
    await expect(restoreDatabase(join(d, "data"), join(d, "missing.db"))).rejects.toThrow(/no such file/);

    const other = join(d, "other.db");
    new Database(other).exec("CREATE TABLE t (x)").close();
    await expect(restoreDatabase(join(d, "data"), other)).rejects.toThrow(/no schema_migrations/);

    const future = join(d, "future.db");
    const f = openDatabase(future);
    f.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    f.close();
    await expect(restoreDatabase(join(d, "data"), future)).rejects.toThrow(/schema version 999 is newer/);
  });

  it("refuses a backup whose audit chain was tampered with, unless forced", async () => {
    const d = tempDir();
    const db = seed(join(d, "src"), 4);
    const file = join(d, "tampered.db");
    await backupDatabase(db, file);
    db.close();
    const t = new Database(file);
    t.exec("DROP TRIGGER audit_no_update; UPDATE audit SET target = 'something-else' WHERE id = 2;");
    t.close();
    await expect(restoreDatabase(join(d, "data"), file)).rejects.toThrow(/audit chain .* does not verify.*row 2 was modified/);
    const forced = await restoreDatabase(join(d, "data"), file, { force: true });
    expect(forced.audit).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it("keeps the newest nightly copies", async () => {
    const dataDir = join(tempDir(), "data");
    const db = seed(dataDir, 1);
    try {
      for (let day = 1; day <= 9; day++) {
        await nightlyBackup(db, dataDir, { keep: 7, now: new Date(Date.UTC(2026, 10, day, 3, 17)), timezone: "America/Phoenix" });
      }
      const kept = listNightlyBackups(dataDir).map((b) => b.date);
      // 03:17 UTC is the evening before in Phoenix.
      expect(kept).toEqual(["2026-11-08", "2026-11-07", "2026-11-06", "2026-11-05", "2026-11-04", "2026-11-03", "2026-11-02"]);
      expect(readdirSync(join(dataDir, "backups")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
      expect(statSync(join(dataDir, "backups")).mode & 0o777).toBe(0o700);
      expect(checkBackup(listNightlyBackups(dataDir)[0]!.file).audit.ok).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe("no files beside a backup (issue 18 item 7, issue 13)", () => {
  it("db backup leaves only the backup in its folder, and checking or restoring a copy adds nothing beside it", async () => {
    const dataDir = join(tempDir(), "data");
    const db = seed(dataDir);
    const folder = tempDir();
    const file = join(folder, "gatehouse-backup.db");
    await backupDatabase(db, file);
    expect(readdirSync(folder)).toEqual(["gatehouse-backup.db"]);
    checkBackup(file);
    expect(readdirSync(folder)).toEqual(["gatehouse-backup.db"]);
    // A copy made by an older version (still in WAL mode) is checked and restored without leftovers too.
    const old = join(folder, "old.db");
    await db.backup(old);
    db.close();
    checkBackup(old);
    await restoreDatabase(join(tempDir(), "data2"), old);
    expect(readdirSync(folder).sort()).toEqual(["gatehouse-backup.db", "old.db"]);
  });

  it("the nightly copy leaves no temp files either", async () => {
    const dataDir = join(tempDir(), "data");
    const db = seed(dataDir);
    await nightlyBackup(db, dataDir, { now: new Date("2026-12-01T03:00:00Z") });
    db.close();
    expect(readdirSync(join(dataDir, "backups"))).toEqual(["gatehouse-2026-12-01.db"]);
  });
});

describe("db restore while the daemon runs (issue 18 item 7)", () => {
  it.skipIf(!existsSync(BUILT_CLI) && process.env.CI !== "true")("is refused while gatehouse serve holds the data dir, and works once it stopped", async () => {
    const dir = tempDir();
    const dataDir = join(dir, "data");
    seed(dataDir).close();
    const backup = join(dir, "b.db");
    const src = openStore(dataDir);
    await backupDatabase(src, backup);
    src.close();
    const port = await freePort();
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, quietServeConfig(port));
    const served = await startServe(file, port);
    expect(served.up, served.output()).toBe(true);
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    const refused = await main(["db", "restore", backup, "--data-dir", dataDir], io);
    expect(refused, `${lines.join("\n")}\n${served.output()}`).toBe(1);
    expect(lines.join("\n")).toMatch(/in use by a running Gatehouse.*stop it first/);
    served.child.kill("SIGTERM");
    expect(await served.exited, served.output()).toBe(0);
    lines.length = 0;
    expect(await main(["db", "restore", backup, "--data-dir", dataDir], io), lines.join("\n")).toBe(0);
  });
});

describe("migrations", () => {
  it("are numbered 1, 2, 3… with no gaps", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it("apply from an empty database", () => {
    const db = openDatabase(":memory:");
    const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[];
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it("apply forward from the first schema, one step after another", () => {
    const db = openDatabase(":memory:", { migrations: MIGRATIONS.slice(0, 1) });
    appendAudit(db, { actor: "os:alice", action: "before.upgrade" });
    expect(migrate(db)).toBe(MIGRATIONS.length - 1);
    expect(migrate(db)).toBe(0);
    expect(verifyAudit(db)).toEqual({ ok: true, rows: 1 });
    db.close();
  });

  it("refuse a database written by a newer version, with a clear message", () => {
    const file = join(tempDir(), "newer.db");
    const db = openDatabase(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 0)").run(MIGRATIONS.length + 1);
    db.close();
    expect(() => openDatabase(file)).toThrow(StoreError);
    expect(() => openDatabase(file)).toThrow(`database schema version ${MIGRATIONS.length + 1} is newer than this Gatehouse knows (${MIGRATIONS.length}); downgrades are not supported`);
  });
});
