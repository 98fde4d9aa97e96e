import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AlertContext } from "../../../src/agent/alerts/engine.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { renderSubject, renderText } from "../../../src/agent/notify/render.js";
import { accessReviewPrefill } from "../../../src/agent/compliance/access-review.js";
import { registerFindings, runComplianceEvaluation, type RegisterSnapshot } from "../../../src/agent/compliance/evaluate.js";
import { runMonthlyReport } from "../../../src/agent/compliance/monthly.js";
import { previousMonth, siteToday } from "../../../src/kit/time.js";
import { addRegisterRow, updateRegisterRow, type RegisterActor, type RegisterRow } from "../../../src/agent/compliance/registers.js";
import { verifyReport } from "../../../src/agent/compliance/report.js";
import { openDatabase } from "../../../src/agent/store/db.js";
import { renderEvidenceReportHtml } from "../../../views/reports/evidence-report.js";
import { insertObservation } from "../../../src/agent/store/observations.js";

const manager: RegisterActor = { name: "user:mia", role: "manager" };
const D = 86_400_000;
const NOW = Date.parse("2026-06-15T18:00:00Z");
const ctx = (now: number): AlertContext => ({ site: "Acme", routes: [{ channel: "email", minSeverity: "warning" }], now, policy: { flapWindowMs: 0, groupWaitMs: 0 } });
const alerts = (db: ReturnType<typeof openDatabase>) =>
  db.prepare("SELECT rule, subject, severity, state FROM alerts WHERE source = 'compliance' ORDER BY id").all() as { rule: string; subject: string; severity: string; state: string }[];

const empty = (): RegisterSnapshot => ({ baa: [], training: [], access_review: [], restore_test: [], incident: [] });
const row = (o: Record<string, unknown>): RegisterRow => ({ id: 1, created_at: 0, updated_at: 0, ...o }) as RegisterRow;

describe("register findings (pure)", () => {
  it("BAA: expired → fail, within 30 days → warn (boundary inclusive), later → pass; the longest-running agreement per entity decides", () => {
    const r = (expires: string | null) => registerFindings({ ...empty(), baa: [row({ covered_entity: "Mesa", signed_on: "2025-01-01", expires_on: expires })] }, "2026-06-15")[0]!;
    expect([r("2026-06-14").rule, r("2026-06-14").status]).toEqual(["compliance.baa_expired", "fail"]);
    expect(r("2026-06-15").status).toBe("warn");
    expect(r("2026-07-15").status).toBe("warn");
    expect(r("2026-07-16").status).toBe("pass");
    expect(r(null).message).toMatch(/no end date/);
    const two = registerFindings({ ...empty(), baa: [row({ covered_entity: "Mesa", signed_on: "2024-01-01", expires_on: "2025-01-01" }), row({ id: 2, covered_entity: "Mesa", signed_on: "2025-01-01", expires_on: "2027-01-01" })] }, "2026-06-15");
    expect(two.filter((f) => f.rule.startsWith("compliance.baa")).map((f) => f.status)).toEqual(["pass"]);
  });

  it("training: the latest completion per person and training decides; overdue the day after due", () => {
    const t = (due: string) => registerFindings({ ...empty(), training: [row({ person: "Ana", training: "HIPAA", completed_on: "2025-06-15", due_on: due })] }, "2026-06-15").find((f) => f.rule.startsWith("compliance.training"))!;
    expect(t("2026-06-15").status).toBe("pass");
    expect(t("2026-06-14").status).toBe("warn");
  });

  it("restore tests: failed, partial, overdue and slow restores", () => {
    const rules = (o: Record<string, unknown>) => registerFindings({ ...empty(), restore_test: [row(o)] }, "2026-06-15").filter((f) => f.rule.startsWith("compliance.restore")).map((f) => `${f.rule}:${f.status}`);
    expect(rules({ tested_on: "2026-06-01", result: "pass", restore_hours: 2 })).toEqual(["compliance.restore_test_current:pass"]);
    expect(rules({ tested_on: "2026-06-01", result: "fail", restore_hours: null })).toEqual(["compliance.restore_test_failed:fail"]);
    expect(rules({ tested_on: "2026-01-01", result: "partial", restore_hours: 80 })).toEqual(["compliance.restore_test_partial:warn", "compliance.restore_test_overdue:warn", "compliance.restore_test_slow:warn"]);
  });

  it("empty registers are no evidence, not a pass", () => {
    const f = registerFindings(empty(), "2026-06-15");
    expect(f.map((x) => x.rule)).toEqual(["compliance.baa_no_evidence", "compliance.training_no_evidence", "compliance.access_review_no_evidence", "compliance.restore_test_no_evidence", "compliance.incident_no_evidence"]);
    expect(f.every((x) => x.status === "unknown")).toBe(true);
  });

  it("today is the site's date", () => {
    expect(siteToday(Date.parse("2026-06-16T05:00:00Z"), "America/Phoenix")).toBe("2026-06-15");
    expect(siteToday(Date.parse("2026-06-16T05:00:00Z"), "UTC")).toBe("2026-06-16");
  });
});

describe("daily compliance evaluation", () => {
  it("raises a warning 30 days before a BAA expires, a critical once expired, and resolves on renewal", () => {
    const db = openDatabase(":memory:");
    const baa = addRegisterRow(db, manager, "baa", { covered_entity: "Mesa", signed_on: "2025-01-01", expires_on: "2026-07-01" }, NOW - 40 * D);
    addRegisterRow(db, manager, "training", { person: "Ben", training: "Phishing", completed_on: "2025-01-01" }, NOW - 40 * D);
    runComplianceEvaluation(db, ctx(NOW - 40 * D), { timezone: "UTC" }); // 2026-05-06: BAA fine, training overdue
    expect(alerts(db)).toEqual([{ rule: "compliance.training_overdue", subject: "Ben — Phishing", severity: "warning", state: "firing" }]);
    runComplianceEvaluation(db, ctx(NOW - 20 * D), { timezone: "UTC" }); // 2026-05-26: 36 days left → still fine
    runComplianceEvaluation(db, ctx(NOW - 10 * D), { timezone: "UTC" }); // 2026-06-05: 26 days left → warning
    expect(alerts(db).filter((a) => a.rule.startsWith("compliance.baa"))).toEqual([{ rule: "compliance.baa_expiring", subject: "Mesa", severity: "warning", state: "firing" }]);
    const later = runComplianceEvaluation(db, ctx(NOW + 20 * D), { timezone: "UTC" }); // 2026-07-05: expired → critical
    expect(alerts(db).filter((a) => a.rule.startsWith("compliance.baa"))).toEqual([
      { rule: "compliance.baa_expiring", subject: "Mesa", severity: "warning", state: "resolved" },
      { rule: "compliance.baa_expired", subject: "Mesa", severity: "critical", state: "firing" },
    ]);
    expect(later.outboxIds.length).toBeGreaterThan(0);
    const payloads = (db.prepare("SELECT payload_json FROM outbox").all() as { payload_json: string }[]).map((r) => r.payload_json).join("\n");
    expect(payloads).toContain("BAA with Mesa expired on 2026-07-01");
    updateRegisterRow(db, manager, "baa", baa.id, { covered_entity: "Mesa", signed_on: "2026-07-06", expires_on: "2028-07-06" }, NOW + 21 * D);
    runComplianceEvaluation(db, ctx(NOW + 21 * D), { timezone: "UTC" });
    expect(alerts(db).filter((a) => a.rule === "compliance.baa_expired")[0]!.state).toBe("resolved");
    // Each run is an observation of source "compliance" (the scorecard's history).
    expect((db.prepare("SELECT count(*) AS n FROM observations WHERE monitor = 'compliance'").get() as { n: number }).n).toBe(5);
  });
});

describe("access review prefill", () => {
  it("lists the accounts monitor's view and the console users, and what changed since the last review", () => {
    const db = openDatabase(":memory:");
    expect(accessReviewPrefill(db).accounts).toMatch(/accounts monitor has no current observation/);
    insertObservation(db, { monitor: "accounts", startedAt: NOW, durationMs: 1, status: "pass", outcome: "ok", evidence: "", findings: [], facts: { "accounts.humans": ["ana", "ben"], "accounts.admins": ["ana"], "accounts.sudo_users": ["ana"], "accounts.uid0": ["root"] } });
    db.prepare("INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, created_at, created_by) VALUES ('mia', 'manager', 'h', 0, 's', 0, 't')").run();
    const p = accessReviewPrefill(db);
    expect(p.accounts).toBe("system accounts (human): ana, ben\nsystem admins: ana\nsudo users: ana\nuid 0: root\nconsole users: mia (manager)");
    expect(p.changes).toBe("");
    addRegisterRow(db, manager, "access_review", { reviewed_on: "2026-03-01", reviewer: "Mia", accounts: "system accounts (human): ana, ben, carl\nsystem admins: ana\nsudo users: ana\nuid 0: root\nconsole users: mia (manager)" }, NOW);
    expect(accessReviewPrefill(db).changes).toBe("was: system accounts (human): ana, ben, carl\nnow: system accounts (human): ana, ben");
  });
});

describe("monthly report", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-monthly-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("previous month in the site's time zone", () => {
    expect(previousMonth(siteToday(Date.parse("2026-07-01T05:00:00Z"), "America/Phoenix"))).toEqual({ from: "2026-05-01", to: "2026-05-31", month: "2026-05" });
    expect(previousMonth(siteToday(Date.parse("2026-07-01T08:00:00Z"), "America/Phoenix"))).toEqual({ from: "2026-06-01", to: "2026-06-30", month: "2026-06" });
    expect(previousMonth(siteToday(Date.parse("2026-01-10T12:00:00Z"), "UTC"))).toEqual({ from: "2025-12-01", to: "2025-12-31", month: "2025-12" });
  });

  it("writes last month's signed report once, audits it and announces it as its own message, also when nothing is wrong", () => {
    const db = openDatabase(":memory:");
    const now = Date.parse("2026-07-02T14:00:00Z");
    // Installed mid-June: the report says where its data starts.
    db.prepare("UPDATE schema_migrations SET applied_at = ?").run(Date.parse("2026-06-10T09:00:00Z"));
    const r = runMonthlyReport(db, ctx(now), { dataDir: dir, timezone: "UTC", render: renderEvidenceReportHtml, reportUrl: (m) => `https://gatehouse.local:8443/reports/${m}` })!;
    expect(r.month).toBe("2026-06");
    expect(existsSync(r.htmlPath) && existsSync(r.jsonPath)).toBe(true);
    const v = verifyReport({ jsonText: readFileSync(r.jsonPath, "utf8"), htmlText: readFileSync(r.htmlPath, "utf8"), signature: readFileSync(`${r.jsonPath}.sig`), htmlSignature: readFileSync(`${r.htmlPath}.sig`), publicKeyPem: readFileSync(r.jsonPath.replace(/\.json$/, ".pub.pem"), "utf8") });
    expect(v.ok).toBe(true);
    expect(r.outboxIds).toHaveLength(1);
    const payload = JSON.parse((db.prepare("SELECT payload_json FROM outbox WHERE id = ?").get(r.outboxIds[0]) as { payload_json: string }).payload_json) as Notification;
    expect(payload.event).toBe("report");
    expect(payload.report).toMatchObject({ month: "2026-06", htmlPath: r.htmlPath, jsonPath: r.jsonPath, contentSha256: r.generated.seal.contentSha256, keyFingerprint: r.generated.seal.keyFingerprint, installedAt: "2026-06-10T09:00:00.000Z", link: "https://gatehouse.local:8443/reports/2026-06" });
    expect(payload.digest!.length).toBeGreaterThan(12);
    expect(payload.digest!.every((d) => d.status === "no data" || d.status === "unwatched" || !/^0% green/.test(d.detail))).toBe(true);
    const text = renderText(payload);
    expect(renderSubject(payload)).toMatch(/^\[Gatehouse\]\[REPORT\] Acme \(.+\): HIPAA evidence report for 2026-06 is ready$/);
    expect(text).not.toMatch(/^Daily summary/);
    for (const want of [`Report: ${r.htmlPath}`, `Content digest (SHA-256, printed in the report): ${r.generated.seal.contentSha256}`, r.generated.seal.keyFingerprint, "installed 2026-06-10", `gatehouse report verify ${r.htmlPath}`]) expect(text).toContain(want);
    expect((db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'report.generate'").get() as { n: number }).n).toBe(1);
    expect(runMonthlyReport(db, ctx(now + D), { dataDir: dir, timezone: "UTC", render: renderEvidenceReportHtml })).toBeUndefined();
  });

  it("makes no report and sends nothing for a month that ended before Gatehouse was installed", () => {
    const db = openDatabase(":memory:");
    const now = Date.parse("2026-12-06T14:00:00Z");
    db.prepare("UPDATE schema_migrations SET applied_at = ?").run(Date.parse("2026-12-03T09:00:00Z"));
    expect(runMonthlyReport(db, ctx(now), { dataDir: join(dir, "new-box"), timezone: "UTC", render: renderEvidenceReportHtml })).toBeUndefined();
    expect(existsSync(join(dir, "new-box", "reports", "evidence-2026-11.html"))).toBe(false);
    expect(db.prepare("SELECT count(*) AS n FROM outbox").get()).toEqual({ n: 0 });
  });
});
