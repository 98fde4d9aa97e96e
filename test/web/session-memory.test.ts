/**
 * Sessions are looked up from memory and their activity is written behind: every change that
 * ends or narrows a session still counts from the very next request — made by this process
 * (sign-out, disable, role, password change, expiry) or by another one on the same file (a CLI
 * command, sqlite3 by hand) — and the activity not yet written is neither lost nor shown to the
 * overview as a change.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { changeSignal } from "../../src/agent/store/changes.js";
import { DB_FILE, openDatabase, openStore } from "../../src/agent/store/db.js";
import { FLUSH_EVERY_MS, flushSessionActivity, insertSession, liveSession, pruneSessions, touchSession } from "../../src/agent/store/sessions.js";
import { insertUser, setDisabled, setRole } from "../../src/agent/store/users.js";
import { tokenHash } from "../../src/web/auth/tokens.js";
import { addUser, call, makeHarness, signIn, type Harness } from "./harness.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A console on a database file, so another process can write to it. */
function fileHarness(): Harness & { file: string } {
  const dir = mkdtempSync(join(tmpdir(), "gh-sessions-"));
  dirs.push(dir);
  const db = openStore(dir);
  return { ...makeHarness({ db }), db, file: join(dir, DB_FILE) };
}

/** Runs SQL in a separate Node process on the database file (as a CLI command would). */
function otherProcess(file: string, sql: string): void {
  const script = `const D = require("better-sqlite3"); const db = new D(process.argv[1]); db.pragma("foreign_keys = ON"); db.exec(process.argv[2]); db.close();`;
  execFileSync(process.execPath, ["-e", script, file, sql], { cwd: process.cwd() });
}

const lastSeenInDb = (h: Harness, cookie: string) => (h.db.prepare("SELECT last_seen_at FROM sessions WHERE id_hash = ?").get(tokenHash(cookie)) as { last_seen_at: number } | undefined)?.last_seen_at;

describe("sessions from memory", () => {
  it("writes activity behind: the database lags until the flush, the idle limit reads memory, the overview's change signal does not move", async () => {
    const h = makeHarness();
    const cookie = await signIn(h, await addUser(h, "alice", "viewer"));
    const signedInAt = h.clock.now();
    h.clock.advance(10 * 60_000);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
    expect(lastSeenInDb(h, cookie)).toBe(signedInAt); // not written yet
    expect(liveSession(h.db, tokenHash(cookie))!.session.lastSeenAt).toBe(h.clock.now());

    const signal = changeSignal(h.db);
    const before = signal();
    expect(flushSessionActivity(h.db)).toBe(1);
    expect(lastSeenInDb(h, cookie)).toBe(h.clock.now());
    expect(signal()).toBe(before);
    expect(flushSessionActivity(h.db)).toBe(0); // nothing left

    // 10 + 10 minutes after sign-in, but 10 after the last activity: still signed in.
    h.clock.advance(10 * 60_000);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
  });

  it("writes activity by itself within FLUSH_EVERY_MS, in one batch", () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      const db = openDatabase(":memory:");
      const userId = insertUser(db, { username: "a", role: "viewer", passwordHash: "h", totpSecretSealed: "s", totpLastStep: 0, createdBy: "t", now: 1 });
      for (const id of ["one", "two"]) insertSession(db, { idHash: id, userId, now: 1, address: "", mustChangePassword: false });
      const seen = () => db.prepare("SELECT id_hash, last_seen_at FROM sessions ORDER BY id_hash").all();
      touchSession(db, "one", 100);
      touchSession(db, "two", 200);
      touchSession(db, "one", 300);
      vi.advanceTimersByTime(FLUSH_EVERY_MS - 1);
      expect(seen()).toEqual([{ id_hash: "one", last_seen_at: 1 }, { id_hash: "two", last_seen_at: 1 }]);
      vi.advanceTimersByTime(1);
      expect(seen()).toEqual([{ id_hash: "one", last_seen_at: 300 }, { id_hash: "two", last_seen_at: 200 }]);
      expect(flushSessionActivity(db)).toBe(0);
      db.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps activity not yet written when another process's write makes it forget what it read", async () => {
    const h = fileHarness();
    const cookie = await signIn(h, await addUser(h, "alice", "viewer"));
    h.clock.advance(14 * 60_000);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200); // activity in memory only
    otherProcess(h.file, "INSERT INTO auth_failures (at, account, address) VALUES (1, 'x', 'y')");
    h.clock.advance(14 * 60_000); // 28 minutes after sign-in, 14 after the activity
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
    h.db.close();
  });

  it("prunes on what memory knows: activity is written before idle sessions are deleted", async () => {
    const h = makeHarness();
    const cookie = await signIn(h, await addUser(h, "alice", "viewer"));
    h.clock.advance(14 * 60_000);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
    h.clock.advance(2 * 60_000);
    // Idle since before 15 minutes ago by the database's old value; not by the activity.
    expect(pruneSessions(h.db, h.clock.now() - 15 * 60_000, h.clock.now() - 12 * 3_600_000)).toBe(0);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
  });

  it("ends at once what this process changes through the store: disable, role, sign-out elsewhere", async () => {
    const h = makeHarness();
    const u = await addUser(h, "ada", "admin");
    const cookie = await signIn(h, u);
    expect((await call(h, "/users", { cookie })).status).toBe(200); // kept in memory now
    setRole(h.db, u.id, "viewer");
    expect((await call(h, "/users", { cookie })).status).toBe(403);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
    setDisabled(h.db, u.id, h.clock.now());
    expect((await call(h, "/alerts", { cookie })).status).toBe(303);
  });

  it("expires at the idle limit from memory and deletes the row", async () => {
    const h = makeHarness();
    const cookie = await signIn(h, await addUser(h, "alice", "viewer"));
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
    h.clock.advance(15 * 60_000 + 1);
    expect((await call(h, "/alerts", { cookie })).status).toBe(303);
    expect(lastSeenInDb(h, cookie)).toBeUndefined();
    expect(liveSession(h.db, tokenHash(cookie))).toBeUndefined();
  });

  describe("changes made by another process count from the next request", () => {
    const cases: [string, (userId: number, cookie: string) => string][] = [
      ["the session deleted (revoked)", (_u, cookie) => `DELETE FROM sessions WHERE id_hash = '${tokenHash(cookie)}'`],
      ["the user disabled", (u) => `UPDATE users SET disabled_at = 1 WHERE id = ${u}`],
      ["the user removed", (u) => `DELETE FROM users WHERE id = ${u}`],
      ["the password changed and the user's sessions ended", (u) => `UPDATE users SET password_hash = 'new' WHERE id = ${u}; DELETE FROM sessions WHERE user_id = ${u}`],
    ];
    it("has cases", () => expect(cases.length).toBeGreaterThan(0));
    it.each(cases)("%s", async (_name, sql) => {
      const h = fileHarness();
      const u = await addUser(h, "alice", "admin");
      const cookie = await signIn(h, u);
      expect((await call(h, "/alerts", { cookie })).status).toBe(200);
      expect((await call(h, "/alerts", { cookie })).status).toBe(200); // served from memory
      otherProcess(h.file, sql(u.id, cookie));
      expect((await call(h, "/alerts", { cookie })).status).toBe(303);
      h.db.close();
    });

    it("a role lowered by another process counts at once", async () => {
      const h = fileHarness();
      const u = await addUser(h, "ada", "admin");
      const cookie = await signIn(h, u);
      expect((await call(h, "/users", { cookie })).status).toBe(200);
      otherProcess(h.file, `UPDATE users SET role = 'viewer' WHERE id = ${u.id}`);
      expect((await call(h, "/users", { cookie })).status).toBe(403);
      h.db.close();
    });
  });
});
