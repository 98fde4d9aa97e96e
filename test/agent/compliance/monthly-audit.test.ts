/**
 * The monthly report states the audit chain's verification; with a long chain it does not walk it
 * on the caller's time (the daemon's start-up): it waits for the background walk and is written
 * when that ends, reporting through `onLate`. A short chain is verified right away (evaluate.test).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appendAudit, auditChain, SETTLE_ROWS } from "../../../src/agent/audit.js";
import type { AlertContext } from "../../../src/agent/alerts/engine.js";
import { runMonthlyReport, type MonthlyReportResult } from "../../../src/agent/compliance/monthly.js";
import { openDatabase, type Db } from "../../../src/agent/store/db.js";
import { renderEvidenceReportHtml } from "../../../views/reports/evidence-report.js";

const NOW = Date.parse("2026-07-02T14:00:00Z");
const ctx: AlertContext = { site: "Acme", routes: [{ channel: "email", minSeverity: "warning" }], now: NOW, policy: { flapWindowMs: 0, groupWaitMs: 0 } };
const dir = mkdtempSync(join(tmpdir(), "gatehouse-monthly-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function longChain(): Db {
  const db = openDatabase(":memory:");
  db.prepare("UPDATE schema_migrations SET applied_at = ?").run(Date.parse("2026-06-10T09:00:00Z"));
  db.transaction(() => {
    for (let i = 0; i <= SETTLE_ROWS; i++) appendAudit(db, { at: Date.parse("2026-06-11T00:00:00Z") + i, actor: "os:test", action: "test.row" });
  })();
  return db;
}

describe("the monthly report and a long audit chain", () => {
  it("waits for the background verification instead of walking the chain at once, then writes the report", async () => {
    const db = longChain();
    const late: MonthlyReportResult[] = [];
    const r = runMonthlyReport(db, ctx, { dataDir: dir, timezone: "UTC", render: renderEvidenceReportHtml, onLate: (x) => late.push(x) });
    expect(r).toBeUndefined();
    expect(auditChain(db).rowsRead).toBe(0);
    expect(existsSync(join(dir, "reports", "evidence-2026-06.json"))).toBe(false);
    await auditChain(db).walk();
    // The report follows the walk on the next turn of the event loop.
    for (let i = 0; i < 10 && late.length === 0; i++) await new Promise((res) => setImmediate(res));
    expect(late).toHaveLength(1);
    const json = JSON.parse(readFileSync(late[0]!.jsonPath, "utf8")) as { audit: { ok: boolean; rows: number } };
    expect(json.audit).toMatchObject({ ok: true, rows: SETTLE_ROWS + 1 });
    expect(late[0]!.outboxIds).toHaveLength(1);
    db.close();
  });
});
