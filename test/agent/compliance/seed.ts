/**
 * A seeded 90-day history for report tests: hourly firewall checks with a two-day failure,
 * six-hourly patches, daily accounts and compliance evaluations, alerts (one acknowledged, one
 * resolved, one still open), a baseline approval, door events after hours, and every register.
 */
import type { AlertContext } from "../../../src/agent/alerts/engine.js";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import { approveBaseline } from "../../../src/agent/baseline.js";
import { runComplianceEvaluation } from "../../../src/agent/compliance/evaluate.js";
import { addRegisterRow, type RegisterActor } from "../../../src/agent/compliance/registers.js";
import type { Finding } from "../../../src/agent/evaluator.js";
import type { Db } from "../../../src/agent/store/db.js";
import { seedObservation } from "../../helpers/observations.js";
import type { Monitor, Status } from "../../../src/monitors/monitor.js";

export const H = 3_600_000;
export const D = 24 * H;
/** 2026-06-15 11:00 in Phoenix (UTC-7 all year). */
export const NOW = Date.parse("2026-06-15T18:00:00Z");
export const TZ = "America/Phoenix";
export const PERIOD = { from: "2026-03-17", to: "2026-06-14" };
export const SEED_MONITORS = [
  { id: "firewall", control: "firewall" },
  { id: "patches", control: "updates" },
  { id: "accounts", control: "accounts" },
];
const manager: RegisterActor = { name: "user:mia", role: "manager", address: "192.0.2.10" };

const f = (rule: string, status: Status, message: string, subject?: string): Finding => ({ rule, status, message, kind: "policy", facts: [], ...(subject ? { subject } : {}) });

function obs(db: Db, monitor: string, at: number, findings: Finding[], evidence: string): void {
  const rank = { pass: 0, unknown: 1, warn: 2, fail: 3 } as const;
  const status = findings.reduce<Status>((w, x) => (rank[x.status] > rank[w] ? x.status : w), "pass");
  seedObservation(db, { monitor, startedAt: at, durationMs: 12, status, outcome: "ok", evidence, facts: {}, findings });
}

/** Fills `db` with the 90-day history; returns the alert context used. */
export function seedNinetyDays(db: Db): AlertContext {
  const start = NOW - 91 * D;
  const ctx = (now: number): AlertContext => ({ site: "Acme Answering — Phoenix", routes: [{ channel: "email", minSeverity: "warning" }], now, policy: { flapWindowMs: 0 } });

  // Registers, entered before the period.
  const at = start - D;
  addRegisterRow(db, manager, "baa", { covered_entity: "Mesa Pediatrics", contact: "Dr. Ruiz <ruiz@mesa.example>", phi_scope: "Appointment messages, callback numbers", signed_on: "2025-01-15", expires_on: "2027-01-15", copy_location: "Office safe, binder BAA-1" }, at);
  addRegisterRow(db, manager, "baa", { covered_entity: "Saguaro Family Care", contact: "Office manager", phi_scope: "After-hours triage notes", signed_on: "2024-05-01", expires_on: "2026-05-01", copy_location: "SharePoint /legal/baa" }, at);
  addRegisterRow(db, manager, "baa", { covered_entity: "<script>alert('x')</script> Clinic", signed_on: "2025-09-01", copy_location: "=HYPERLINK(\"http://evil\")" }, at);
  addRegisterRow(db, manager, "training", { person: "Ana Lopez", training: "HIPAA privacy and security awareness", completed_on: "2025-08-01" }, at);
  addRegisterRow(db, manager, "training", { person: "Ben Ortiz", training: "Phishing", completed_on: "2025-04-01" }, at);
  addRegisterRow(db, manager, "access_review", { reviewed_on: "2026-04-02", reviewer: "Mia Chen", accounts: "humans: ana, ben, mia\nsudo: mia", changes: "Removed sudo from ben" }, at);
  addRegisterRow(db, manager, "restore_test", { tested_on: "2026-03-20", backup_set: "nightly", result: "pass", restore_hours: "2.5", tested_by: "IT", notes: "Restored /srv/calls to a spare disk" }, at);
  addRegisterRow(db, manager, "incident", { occurred_on: "2026-04-10", description: "Staff member clicked a phishing link", actions: "Password reset, mailbox rules checked", closed_on: "2026-04-11" }, at);

  // Baseline approval inside the period.
  const fw = { id: "firewall", baselineFacts: ["firewall.ruleset_sha256"] } as unknown as Monitor;
  approveBaseline(db, fw, { "firewall.ruleset_sha256": "ab12" }, { actor: "os:it-admin", reason: "Opened 5060/udp for the new SIP trunk (ticket 4411)", now: start + 5 * D });

  // Firewall hourly: fails from day 40 to day 42.
  const failFrom = start + 40 * D;
  const failTo = start + 42 * D;
  for (let t = start; t < NOW; t += H) {
    const bad = t >= failFrom && t < failTo;
    const findings = [bad ? f("firewall.enabled", "fail", "The firewall is disabled (nftables has no ruleset)") : f("firewall.enabled", "pass", "The firewall is enabled")];
    db.transaction(() => {
      obs(db, "firewall", t, findings, bad ? "nft list ruleset: (empty)" : "table inet filter { chain input { policy drop; } }");
      applyFindings(db, ctx(t), "firewall", findings, true);
    })();
  }
  db.prepare("UPDATE alerts SET ack_by = 'user:mia', ack_at = ?, ack_note = 'IT re-enabling after kernel update' WHERE source = 'firewall'").run(failFrom + 2 * H);

  // Patches every 6 h: a pending security update for the last 10 days (still open).
  for (let t = start; t < NOW; t += 6 * H) {
    const warn = t >= NOW - 10 * D;
    const findings = [warn ? f("patches.security_updates", "warn", "1 security update pending for 10 days: openssl") : f("patches.security_updates", "pass", "No security updates pending")];
    db.transaction(() => {
      obs(db, "patches", t, findings, warn ? "Inst openssl [3.0.2-0ubuntu1.15] (3.0.2-0ubuntu1.16 Ubuntu:22.04/jammy-security)" : "0 upgraded");
      applyFindings(db, ctx(t), "patches", findings, true);
    })();
  }

  // Accounts daily.
  for (let t = start; t < NOW; t += D) {
    obs(db, "accounts", t, [f("accounts.generic_name", "pass", "No generic account names"), f("accounts.sudo_outside_allow", "pass", "Only allowed users can use sudo"), f("accounts.password_age", "pass", "All passwords changed within 180 days")], "humans: ana ben mia");
  }

  // Console user with TOTP.
  db.prepare("INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, created_at, created_by) VALUES ('mia', 'manager', 'h', 0, 'sealed', ?, 'os:root')").run(start);

  // Compliance daily evaluation for the last 60 days.
  for (let t = NOW - 60 * D; t < NOW; t += D) runComplianceEvaluation(db, ctx(t), { timezone: TZ });

  // Doors: one sensor, an after-hours alarm, an on-site opening, a business-hours opening.
  db.prepare("INSERT INTO door_state (sensor_id, state, since, last_seen_at) VALUES ('server-room', 'closed', ?, ?)").run(start, NOW);
  const onsite = db.prepare("INSERT INTO door_onsite (declared_at, until_at, declared_by, reason, actor) VALUES (?, ?, 'Mia Chen', 'Quarterly UPS battery swap', 'user:mia')").run(NOW - 20 * D, NOW - 20 * D + 4 * H);
  const ev = db.prepare("INSERT INTO door_events (sensor_id, source, received_at, payload_sha256, state, outcome, onsite_id) VALUES ('server-room', 'mqtt', ?, 'x', ?, ?, ?)");
  ev.run(NOW - 30 * D, "open", "alarm", null);
  ev.run(NOW - 20 * D + H, "open", "onsite", Number(onsite.lastInsertRowid));
  ev.run(NOW - 5 * D, "open", "business_hours", null);
  return ctx(NOW);
}
