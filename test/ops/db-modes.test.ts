/** The database files hold password hashes: 0600 at every start, whatever the umask (issue 18 item 6). */
import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DB_FILE, openStore } from "../../src/agent/store/db.js";

const mode = (f: string) => statSync(f).mode & 0o777;
const files = (dir: string) => [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`].map((f) => join(dir, f));

describe("database file modes", () => {
  const umask = process.umask();
  afterEach(() => void process.umask(umask));

  it("creates gatehouse.db, -wal and -shm 0600 under a loose umask, and tightens them again at the next start", () => {
    process.umask(0o000);
    const dir = mkdtempSync(join(tmpdir(), "gh-modes-"));
    const db = openStore(dir);
    db.prepare("CREATE TABLE IF NOT EXISTS t (x)").run();
    for (const f of files(dir)) expect(mode(f), f).toBe(0o600);
    db.close();
    // Loosened by a hand copy or a restore: the next start makes them private again.
    process.umask(0o022);
    const again = openStore(dir);
    for (const f of files(dir)) chmodSync(f, 0o644);
    again.close();
    const third = openStore(dir);
    for (const f of files(dir)) expect(mode(f), f).toBe(0o600);
    third.close();
  });
});
