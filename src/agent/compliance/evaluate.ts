/**
 * Turns the registers, the console's users and the audit chain into findings (source
 * "compliance"), and the daily evaluation that records them as an observation and hands them
 * to the alert engine: BAA expiring → warning, expired → critical, training overdue → warning,
 * restore test older than its interval → warning (the reminder).
 *
 * The findings are pure functions of their inputs; only `complianceFindings` and
 * `runComplianceEvaluation` touch the database.
 */
import { auditChain } from "../audit.js";
import type { AlertContext } from "../alerts/engine.js";
import { worstStatus, type Finding } from "../evaluator.js";
import { record } from "../findings/record.js";
import type { Db } from "../store/db.js";
import { insertObservation } from "../store/observations.js";
import type { Status } from "../../monitors/monitor.js";
import { takeRegistersChanged } from "../store/registers.js";
import { COMPLIANCE_SOURCE } from "../controls/index.js";
import { enabledUsersTotp } from "../store/users.js";
import { daysBetween, siteToday } from "../../kit/time.js";
import { listRegister, REGISTER_IDS, type RegisterId, type RegisterRow } from "./registers.js";

export { COMPLIANCE_SOURCE };

export interface CompliancePolicy {
  /** A BAA expiring within this many days raises a warning. */
  baaWarnDays: number;
  /** Access reviews are quarterly: older than this many days is overdue. */
  accessReviewDays: number;
  /** A restore test older than this many days is a reminder (warning). */
  restoreTestDays: number;
  /** Longest acceptable restore (the 2025 proposal's 72 hours). */
  maxRestoreHours: number;
}

export const DEFAULT_COMPLIANCE_POLICY: CompliancePolicy = { baaWarnDays: 30, accessReviewDays: 92, restoreTestDays: 90, maxRestoreHours: 72 };

export type RegisterSnapshot = Record<RegisterId, RegisterRow[]>;

const f = (rule: string, status: Status, message: string, subject?: string): Finding => ({
  rule: `${COMPLIANCE_SOURCE}.${rule}`,
  kind: "policy",
  status,
  message,
  facts: [],
  ...(subject ? { subject } : {}),
});

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Findings from the registers, as of `today` (the site's date). Pure. */
export function registerFindings(reg: RegisterSnapshot, today: string, policy: CompliancePolicy = DEFAULT_COMPLIANCE_POLICY): Finding[] {
  const out: Finding[] = [];

  // BAAs: per covered entity, the agreement that runs longest decides.
  const byEntity = new Map<string, RegisterRow>();
  for (const r of reg.baa) {
    const key = str(r.covered_entity);
    const cur = byEntity.get(key);
    const end = (x: RegisterRow) => (x.expires_on === null ? "9999-12-31" : str(x.expires_on));
    if (!cur || end(r) > end(cur)) byEntity.set(key, r);
  }
  if (byEntity.size === 0) out.push(f("baa_no_evidence", "unknown", "No business associate agreement recorded"));
  for (const [entity, r] of byEntity) {
    const exp = r.expires_on === null ? undefined : str(r.expires_on);
    const left = exp === undefined ? Infinity : daysBetween(today, exp);
    if (left < 0) out.push(f("baa_expired", "fail", `BAA with ${entity} expired on ${exp} (${-left} days ago)`, entity));
    else if (left <= policy.baaWarnDays) out.push(f("baa_expiring", "warn", `BAA with ${entity} expires on ${exp} (in ${left} days)`, entity));
    else out.push(f("baa_valid", "pass", `BAA with ${entity} signed ${str(r.signed_on)}${exp ? `, valid until ${exp}` : ", no end date"}`, entity));
  }

  // Training: per person and training, the latest completion's due date decides.
  const latest = new Map<string, RegisterRow>();
  for (const r of reg.training) {
    const key = `${str(r.person)} — ${str(r.training)}`;
    const cur = latest.get(key);
    if (!cur || str(r.completed_on) > str(cur.completed_on)) latest.set(key, r);
  }
  if (latest.size === 0) out.push(f("training_no_evidence", "unknown", "No workforce training recorded"));
  for (const [key, r] of latest) {
    const due = str(r.due_on);
    if (due < today) out.push(f("training_overdue", "warn", `Training overdue: ${key} was due ${due} (last completed ${str(r.completed_on)})`, key));
    else out.push(f("training_current", "pass", `${key} completed ${str(r.completed_on)}, due ${due}`, key));
  }

  // Access reviews: the latest one must be recent enough.
  const review = [...reg.access_review].sort((a, b) => str(b.reviewed_on).localeCompare(str(a.reviewed_on)))[0];
  if (!review) out.push(f("access_review_no_evidence", "unknown", "No access review recorded"));
  else {
    const age = daysBetween(str(review.reviewed_on), today);
    if (age > policy.accessReviewDays) out.push(f("access_review_overdue", "warn", `Last access review ${str(review.reviewed_on)} by ${str(review.reviewer)} is ${age} days old (quarterly: ${policy.accessReviewDays} days)`));
    else out.push(f("access_review_current", "pass", `Access reviewed ${str(review.reviewed_on)} by ${str(review.reviewer)}`));
  }

  // Restore tests: the latest test's age and result.
  const test = [...reg.restore_test].sort((a, b) => str(b.tested_on).localeCompare(str(a.tested_on)) || b.id - a.id)[0];
  if (!test) out.push(f("restore_test_no_evidence", "unknown", "No backup restore test recorded"));
  else {
    const age = daysBetween(str(test.tested_on), today);
    const what = `restore test ${str(test.tested_on)}${test.backup_set ? ` of ${str(test.backup_set)}` : ""}`;
    if (test.result === "fail") out.push(f("restore_test_failed", "fail", `The last ${what} failed`));
    else if (test.result === "partial") out.push(f("restore_test_partial", "warn", `The last ${what} restored only part of the data`));
    if (age > policy.restoreTestDays) out.push(f("restore_test_overdue", "warn", `The last ${what} is ${age} days old; test a restore (every ${policy.restoreTestDays} days)`));
    if (typeof test.restore_hours === "number" && test.restore_hours > policy.maxRestoreHours) {
      out.push(f("restore_test_slow", "warn", `The last ${what} took ${test.restore_hours} h, more than ${policy.maxRestoreHours} h`));
    }
    if (test.result === "pass" && age <= policy.restoreTestDays) out.push(f("restore_test_current", "pass", `Last ${what} passed`));
  }

  // Incidents: open ones need attention; an empty log is no evidence either way.
  const open = reg.incident.filter((r) => r.closed_on === null);
  if (reg.incident.length === 0) out.push(f("incident_no_evidence", "unknown", "No security incidents recorded"));
  for (const r of open) out.push(f("incident_open", "warn", `Incident of ${str(r.occurred_on)} is still open: ${str(r.description).slice(0, 120)}`, `#${r.id}`));
  if (reg.incident.length > 0 && open.length === 0) out.push(f("incident_closed", "pass", `${reg.incident.length} incident(s) recorded, all closed`));
  return out;
}

/** Console users as the two-factor control sees them. */
export interface ConsoleUserStats {
  /** Whether the console's users table exists at all. */
  enabled: number;
  /** Enabled users without a TOTP secret (the console enforces TOTP, so this should be 0). */
  withoutTotp: string[];
}

/** The audit chain as verified so far (an AuditVerification, or an AuditChainStatus). */
export interface AuditState {
  ok: boolean;
  rows: number;
  brokenAt?: number;
  reason?: string;
  /** Newer rows not verified yet. */
  pending?: number;
}

/**
 * Two-factor and audit-chain findings. Pure. `audit.pending`: newer rows not verified yet (a
 * long chain is verified in the background; the finding says how far it got).
 */
export function platformFindings(users: ConsoleUserStats, audit: AuditState): Finding[] {
  const out: Finding[] = [];
  if (users.enabled === 0) out.push(f("two_factor_no_evidence", "unknown", "No console users yet, so no administrative access to check"));
  else if (users.withoutTotp.length) out.push(f("two_factor", "fail", `Console users without two-factor: ${users.withoutTotp.join(", ")}`));
  else out.push(f("two_factor", "pass", `${users.enabled} console user(s), every one enrolled with TOTP (enforced at login)`));
  const pending = audit.pending ?? 0;
  out.push(
    !audit.ok
      ? f("audit_chain", "fail", `Audit chain broken at entry ${audit.brokenAt}: ${audit.reason}`)
      : audit.rows === 0 && pending > 0
        ? f("audit_chain_no_evidence", "unknown", `The audit log's ${pending} entries are being verified in the background; none verified yet`)
        : audit.rows === 0
          ? f("audit_chain_no_evidence", "unknown", "The audit log is empty")
          : pending > 0
            ? f("audit_chain", "pass", `Audit chain verified: ${audit.rows} entries, unbroken (${pending} newer entries being verified)`)
            : f("audit_chain", "pass", `Audit chain verified: ${audit.rows} entries, unbroken`),
  );
  return out;
}

/** Reads every register. */
export function registerSnapshot(db: Db): RegisterSnapshot {
  return Object.fromEntries(REGISTER_IDS.map((id) => [id, listRegister(db, id)])) as RegisterSnapshot;
}

/** Reads the console users' two-factor state. */
export function consoleUserStats(db: Db): ConsoleUserStats {
  const rows = enabledUsersTotp(db);
  return { enabled: rows.length, withoutTotp: rows.filter((r) => !r.hasTotp).map((r) => r.username) };
}

export interface ComplianceOptions {
  timezone: string;
  policy?: CompliancePolicy;
}

/** Every compliance finding as of `now`. */
export function complianceFindings(db: Db, now: number, opts: ComplianceOptions): Finding[] {
  return [...registerFindings(registerSnapshot(db), siteToday(now, opts.timezone), opts.policy), ...platformFindings(consoleUserStats(db), auditChain(db).settle())];
}

/**
 * The daily evaluation the daemon schedules (once a day, e.g. 06:00 site time, and once at
 * start-up): records the findings as an observation of source "compliance" (so the scorecard
 * has history for the register controls) and applies them to alerts, in one transaction.
 */
export function runComplianceEvaluation(db: Db, ctx: AlertContext, opts: ComplianceOptions): { findings: Finding[]; outboxIds: number[] } {
  const started = Date.now();
  const findings = complianceFindings(db, ctx.now, opts);
  const outboxIds = db.transaction(() => {
    insertObservation(db, {
      monitor: COMPLIANCE_SOURCE,
      startedAt: ctx.now,
      durationMs: Date.now() - started,
      status: worstStatus(findings.map((x) => x.status)),
      outcome: "ok",
      evidence: findings.filter((x) => x.status !== "pass").map((x) => `${x.status}: ${x.message}`).join("\n"),
      facts: {},
      findings,
    });
    return record(db, ctx, COMPLIANCE_SOURCE, findings, { complete: true });
  })();
  return { findings, outboxIds };
}

/** The audit chain's verdict at each connection's last evaluation (a break found later re-evaluates). */
const auditOkAtLastLook = new WeakMap<Db, boolean>();

/**
 * Re-evaluates the compliance findings when a register changed since the last look (console,
 * CSV import, CLI: each change marks it), so an expired BAA that was renewed stops alerting
 * within a minute instead of at the next 06:00 run, and when the background verification of the
 * audit chain found a break since. Call from the daemon's minute tick.
 * Returns the outbox ids written, or undefined when nothing changed.
 */
export function evaluateIfRegistersChanged(db: Db, ctx: AlertContext, opts: ComplianceOptions): number[] | undefined {
  const auditOk = auditChain(db).current().ok;
  const auditTurned = auditOkAtLastLook.get(db) !== auditOk;
  auditOkAtLastLook.set(db, auditOk);
  return db.transaction(() => {
    const changed = takeRegistersChanged(db);
    if (!changed && !(auditTurned && !auditOk)) return undefined;
    return runComplianceEvaluation(db, ctx, opts).outboxIds;
  })();
}
