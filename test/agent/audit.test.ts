/** The audit chain verified incrementally from a checkpoint, in the background, never on a caller's time. */
import { describe, expect, it } from "vitest";
import { AUDIT_START, AuditChain, appendAudit, verifyAudit, verifyAuditFrom } from "../../src/agent/audit.js";
import { openDatabase, type Db } from "../../src/agent/store/db.js";

function seeded(n: number): Db {
  const db = openDatabase(":memory:");
  db.transaction(() => {
    for (let i = 0; i < n; i++) appendAudit(db, { at: 1_000 + i, actor: "os:test", action: "test.row", detail: { i } });
  })();
  return db;
}

const tamper = (db: Db, sql: string) => {
  db.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete");
  db.exec(sql);
};

describe("verifyAuditFrom", () => {
  it("continues from a checkpoint, in slices, to the same result as a full walk", () => {
    const db = seeded(2_500);
    let cp = AUDIT_START;
    let slices = 0;
    for (;;) {
      const r = verifyAuditFrom(db, cp, 1_000);
      slices++;
      cp = r.checkpoint;
      expect(r.result.ok).toBe(true);
      if (r.done) break;
    }
    expect(slices).toBe(3);
    expect(cp.rows).toBe(2_500);
    expect(verifyAudit(db)).toEqual({ ok: true, rows: 2_500 });
    // New rows: only they are read; the result counts all.
    appendAudit(db, { actor: "os:test", action: "test.more" });
    expect(verifyAuditFrom(db, cp)).toMatchObject({ result: { ok: true, rows: 2_501 }, done: true });
  });

  it("finds an edited new row, an edited or deleted checkpoint row; an edit behind the checkpoint needs a full walk", () => {
    const db = seeded(100);
    const cp = verifyAuditFrom(db, AUDIT_START).checkpoint;
    appendAudit(db, { actor: "os:test", action: "test.more" });
    tamper(db, "UPDATE audit SET actor = 'os:mallory' WHERE id = 101");
    expect(verifyAuditFrom(db, cp).result).toMatchObject({ ok: false, brokenAt: 101 });

    const db2 = seeded(100);
    const cp2 = verifyAuditFrom(db2, AUDIT_START).checkpoint;
    tamper(db2, "DELETE FROM audit WHERE id = 100");
    expect(verifyAuditFrom(db2, cp2).result).toMatchObject({ ok: false, brokenAt: 100, reason: expect.stringMatching(/changed or deleted after it was verified/) });

    const db3 = seeded(100);
    const cp3 = verifyAuditFrom(db3, AUDIT_START).checkpoint;
    tamper(db3, "UPDATE audit SET actor = 'os:mallory' WHERE id = 5");
    expect(verifyAuditFrom(db3, cp3).result.ok).toBe(true);
    expect(verifyAudit(db3)).toMatchObject({ ok: false, brokenAt: 5 });
  });
});

describe("AuditChain", () => {
  it("answers current() from the last verified state and walks in the background, a slice per turn of the event loop", async () => {
    const db = seeded(5_000);
    let clock = 0;
    const chain = new AuditChain(db, () => clock);
    const first = chain.current();
    // Nothing was walked on the caller's time: the rows are pending, the walk runs after this turn.
    expect(first).toEqual({ ok: true, rows: 0, pending: 5_000 });
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const done = await chain.walk();
    clearInterval(ticker);
    expect(done).toEqual({ ok: true, rows: 5_000 });
    expect(chain.current()).toEqual({ ok: true, rows: 5_000, pending: 0 });
    // Other work ran between the slices.
    expect(turns).toBeGreaterThan(0);

    appendAudit(db, { actor: "os:test", action: "test.more" });
    expect(chain.current()).toMatchObject({ rows: 5_000, pending: 1 });
    await chain.walk();
    expect(chain.current()).toMatchObject({ ok: true, rows: 5_001, pending: 0 });

    // An edit behind the checkpoint: invisible to catch-ups, found by the daily full walk.
    tamper(db, "UPDATE audit SET actor = 'os:mallory' WHERE id = 10");
    appendAudit(db, { actor: "os:test", action: "test.more" });
    await chain.walk();
    expect(chain.current().ok).toBe(true);
    clock += 24 * 3_600_000;
    chain.current();
    await chain.walk();
    expect(chain.current()).toMatchObject({ ok: false, brokenAt: 10 });
    // Broken stays broken (no further walks hide it).
    expect(chain.verifyNow()).toMatchObject({ ok: false, brokenAt: 10 });
  });
});
