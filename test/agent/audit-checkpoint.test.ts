/**
 * The audit chain's verification checkpoint kept across restarts (migration 008): a restart
 * resumes from it instead of re-walking the chain; rows after it are verified as before; an edit
 * before it is still found by the full pass that runs in the background after start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuditChain, appendAudit, describeAuditChain, verifyAudit } from "../../src/agent/audit.js";
import { platformFindings } from "../../src/agent/compliance/evaluate.js";
import { openStore, type Db } from "../../src/agent/store/db.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A data dir with `n` audit rows, verified once by a chain that persisted its checkpoint. */
async function verifiedStore(n: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "gh-audit-cp-"));
  dirs.push(dir);
  const db = openStore(dir);
  db.transaction(() => {
    for (let i = 0; i < n; i++) appendAudit(db, { at: 1_000 + i, actor: "os:test", action: "test.row", detail: { i } });
  })();
  const chain = new AuditChain(db);
  expect(await chain.walk()).toEqual({ ok: true, rows: n });
  db.close();
  return dir;
}

const tamper = (db: Db, sql: string) => {
  db.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete");
  db.exec(sql);
};

describe("the persisted audit checkpoint", () => {
  it("a restart resumes from it: only the rows written since are read on the caller's time", async () => {
    const db = openStore(await verifiedStore(3_000));
    for (let i = 0; i < 3; i++) appendAudit(db, { actor: "os:test", action: "test.after" });
    const chain = new AuditChain(db);
    // Before anything is read: the rows verified before the restart count, the new ones wait.
    expect(chain.status()).toMatchObject({ ok: true, rows: 3_000, verifiedThrough: 3_000, pending: 3 });
    expect(chain.verifyNow()).toEqual({ ok: true, rows: 3_003 });
    expect(chain.rowsRead).toBe(3);
    db.close();
  });

  it("a long chain is left to the background: settle reads nothing on the caller's time and says how far it is verified", async () => {
    const db = openStore(await verifiedStore(3_000));
    appendAudit(db, { actor: "os:test", action: "test.after" });
    const chain = new AuditChain(db);
    const s = chain.settle({ maxRows: 100 });
    expect(chain.rowsRead).toBe(0);
    expect(s).toMatchObject({ ok: true, rows: 3_000, verifiedThrough: 3_000, pending: 1 });
    expect(describeAuditChain(s)).toMatch(/^Hash chain intact \(3000 entries\)\. Verified up to row 3000; 1 newer row\(s\) are being verified\./);
    expect(platformFindings({ enabled: 0, withoutTotp: [] }, s)[1]).toMatchObject({ status: "pass", message: expect.stringMatching(/3000 entries, unbroken \(1 newer entries being verified\)/) });
    await chain.walk();
    expect(chain.status()).toMatchObject({ ok: true, rows: 3_001, pending: 0, fullPass: { completedAt: expect.any(Number) } });
    db.close();
  });

  it("an edit after the checkpoint, or of the checkpoint row itself, is found on resume", async () => {
    const dir = await verifiedStore(200);
    const db = openStore(dir);
    appendAudit(db, { actor: "os:test", action: "test.after" });
    tamper(db, "UPDATE audit SET actor = 'os:mallory' WHERE id = 201");
    expect(new AuditChain(db).verifyNow()).toMatchObject({ ok: false, brokenAt: 201, reason: expect.stringMatching(/modified/) });
    tamper(db, "UPDATE audit SET hash = 'x' WHERE id = 200");
    expect(new AuditChain(db).verifyNow()).toMatchObject({ ok: false, brokenAt: 200, reason: expect.stringMatching(/changed or deleted after it was verified/) });
    db.close();
  });

  it("rows deleted from the end, the checkpoint's row among them, are found by every kind of pass", async () => {
    // A hash chain alone cannot see its last rows removed; the persisted checkpoint can.
    for (const how of ["settle", "walk", "verifyNow"] as const) {
      const db = openStore(await verifiedStore(300));
      tamper(db, "DELETE FROM audit WHERE id > 250");
      const chain = new AuditChain(db);
      const r = how === "settle" ? chain.settle() : how === "walk" ? await chain.walk({ full: true }) : chain.verifyNow();
      expect([how, r]).toMatchObject([how, { ok: false, brokenAt: 300, reason: expect.stringMatching(/deleted/) }]);
      // `gatehouse audit verify`, the evidence report and db backup/restore walk from the first row.
      expect(verifyAudit(db)).toMatchObject({ ok: false, brokenAt: 300, reason: expect.stringMatching(/deleted/) });
      db.close();
    }
  });

  it("an edit before the checkpoint is found by the full pass that runs in the background after a restart", async () => {
    const db = openStore(await verifiedStore(5_000));
    tamper(db, "UPDATE audit SET actor = 'os:mallory' WHERE id = 4500");
    const chain = new AuditChain(db);
    // Resuming alone cannot see it: the checkpoint row is intact.
    expect(chain.verifyNow()).toEqual({ ok: true, rows: 5_000 });
    expect(chain.rowsRead).toBe(0);
    // current() starts the full pass; while it runs the page says how far it got.
    expect(chain.current()).toEqual({ ok: true, rows: 5_000, pending: 0 });
    const walking = chain.walk();
    for (let i = 0; i < 20 && chain.status().fullPass.runningThrough === undefined; i++) await new Promise((r) => setImmediate(r));
    expect(describeAuditChain(chain.status())).toMatch(/^Hash chain intact \(5000 entries\)\. Full re-verification from the first row running: up to row \d+ so far\.$/);
    const r = await walking;
    expect(r).toMatchObject({ ok: false, brokenAt: 4500, reason: expect.stringMatching(/modified/) });
    expect(describeAuditChain(chain.status())).toMatch(/^Hash chain BROKEN: row 4500 was modified/);
    // The broken verdict is not persisted as verified: the next start finds it again.
    db.close();
    const again = openStore(db.name.replace(/\/gatehouse\.db$/, ""));
    const next = new AuditChain(again);
    expect(await next.walk()).toMatchObject({ ok: false, brokenAt: 4500 });
    again.close();
  });
});
