/**
 * Several processes opening a new data dir at once (the daemon starting while a CLI command
 * runs) all succeed: the schema version is read inside the write transaction that migrates, so
 * only the first one runs the migrations. It used to fail with "table observations already
 * exists" (seen in the firewall serve-event test).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/agent/store/migrations/index.js";
import { openStore } from "../../src/agent/store/db.js";
import { requireBuild } from "../helpers/build.js";

describe("migrations across processes", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("eight processes opening one new store at once all succeed and migrate it once", async () => {
    const db = pathToFileURL(requireBuild("src/agent/store/db.js")).href;
    for (let round = 0; round < 5; round++) {
      const dir = mkdtempSync(join(tmpdir(), "gh-migrate-"));
      dirs.push(dir);
      const script = `const { openStore } = await import(${JSON.stringify(db)}); openStore(${JSON.stringify(dir)}).close();`;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => new Promise<{ code: number | null; err: string }>((resolve) => {
          const p = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
          let err = "";
          p.stderr.on("data", (b: Buffer) => (err += b.toString()));
          p.on("exit", (code) => resolve({ code, err }));
        })),
      );
      for (const r of results) expect(r.code, r.err).toBe(0);
      const store = openStore(dir);
      const rows = store.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[];
      store.close();
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    }
  });
  it("waits for another process's write lock on a file still in rollback mode instead of failing to switch to WAL", async () => {
    // SQLite refuses the switch to WAL at once (no busy handler) while another connection holds
    // RESERVED on a rollback-journal file; eight processes racing on a new store hit it (CI).
    const dir = mkdtempSync(join(tmpdir(), "gh-migrate-"));
    dirs.push(dir);
    const holder = `const D = (await import("better-sqlite3")).default; const db = new D(${JSON.stringify(join(dir, "gatehouse.db"))});
      db.exec("CREATE TABLE held (x)"); db.exec("BEGIN IMMEDIATE"); db.exec("INSERT INTO held VALUES (1)");
      process.stdout.write("locked\\n"); setTimeout(() => { db.exec("ROLLBACK"); db.close(); }, 400);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", holder], { cwd: join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => b.toString().includes("locked") && resolve());
      child.on("exit", () => reject(new Error(`lock holder exited early: ${err}`)));
    });
    const store = openStore(dir);
    try {
      expect(store.pragma("journal_mode", { simple: true })).toBe("wal");
      expect((store.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number }).v).toBe(MIGRATIONS.at(-1)!.version);
    } finally {
      store.close();
    }
    expect(await exited, err).toBe(0);
  });
});
