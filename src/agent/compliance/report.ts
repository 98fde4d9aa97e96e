/**
 * The evidence report an auditor accepts: for a period, each control's state over time with
 * evidence excerpts, alerts and how they were resolved, baseline approvals with reasons, door
 * events after hours, the registers, and the audit-chain verification. Built as plain data
 * (the JSON twin), sealed and recorded in the audit log; the HTML is the view's
 * (views/reports/evidence-report.tsx), which the caller that needs it passes in as `render`.
 *
 * The seal survives printing: the JSON twin *is* the canonical content; its SHA-256 (the
 * content digest) and an Ed25519 signature over it by the box's report key are printed in the
 * HTML with the key's fingerprint; the HTML is signed too. `verifyReport` checks both signatures
 * and that the HTML prints the JSON's digest. An auditor can do the same with sha256sum and
 * openssl (README.md).
 */
import { createHash } from "node:crypto";
import { registerFindings, platformFindings, consoleUserStats, registerSnapshot, type AuditState } from "./evaluate.js";
import { signReport, verifyReportSignature, keyFingerprint, type ReportKey } from "./report-key.js";
import { appendAudit, verifyAudit } from "../audit.js";
import { controlRegistry, type ControlRegistry } from "../controls/index.js";
import { alertsInPeriod } from "../store/alerts.js";
import { auditRowsOfAction, countAuditBetween, firstAuditAt } from "../store/audit.js";
import { firstMigrationAt, type Db } from "../store/db.js";
import { afterHoursDoorEvents, listDoorStates } from "../store/doors.js";
import { findingSources } from "../store/findings.js";
import { firstObservationAt, latestObservationIn } from "../store/observation-log.js";
import { outcomeOfRule, type Status } from "../../monitors/monitor.js";
import { CATALOG, type ComplianceControlId } from "./catalog.js";
import type { ComplianceOptions } from "./evaluate.js";
import { addDays, isIsoDate, localMidnight, siteToday } from "../../kit/time.js";
import { roughAge } from "../../kit/format.js";
import { listRegister, REGISTER_IDS, REGISTERS, rowFields, type FieldValue, type RegisterId } from "./registers.js";
import { COMPLIANCE_SOURCE } from "../controls/index.js";
import { findingState, gatherHistory, percentInState, worstState, type ControlState, type TimeInState } from "./scorecard.js";

export const REPORT_FORMAT = "gatehouse-evidence-report/2";
/** Stood in for the hash in format /1 reports (sealed by file hash); still verified. */
export const SEAL_PLACEHOLDER = "0".repeat(64);

/** What is printed in the report to vouch for it. */
export interface ReportSeal {
  /** SHA-256 hex of the JSON twin's bytes (the canonical content). */
  contentSha256: string;
  /** Ed25519 signature of those bytes, base64. */
  signature: string;
  keyFingerprint: string;
  publicKeyPem: string;
}

export interface ReportEvidence {
  source: string;
  rule: string;
  subject: string;
  status: Status;
  state: ControlState;
  message: string;
  /** ISO time of the observation it comes from. */
  observed_at: string | null;
}

export interface ReportControl {
  id: ComplianceControlId;
  title: string;
  summary: string;
  citations: string[];
  requirement: "required" | "addressable";
  proposed_2025: string | null;
  evidence_kind: string;
  /** Worst state seen during the period (grey only when nothing was evidenced). */
  worst_state: ControlState;
  /** State at the end of the period, from the latest evidence in it. */
  end_state: ControlState;
  time_in_state_ms: TimeInState;
  percent_in_state: Record<ControlState, number>;
  evidence: ReportEvidence[];
  /** The latest observation's evidence text of each monitor source, shortened. */
  excerpts: { source: string; observed_at: string; text: string }[];
}

export interface ReportAlert {
  id: number;
  source: string;
  control: string | null;
  rule: string;
  subject: string;
  severity: string;
  state: string;
  message: string;
  opened_at: string;
  acknowledged: { by: string; at: string; note: string } | null;
  resolved_at: string | null;
  /** One line: how it ended (or that it has not). */
  resolution: string;
}

export interface ReportRegister {
  id: RegisterId;
  title: string;
  fields: { name: string; label: string }[];
  rows: ({ id: number } & Record<string, FieldValue>)[];
}

export interface EvidenceReport {
  format: typeof REPORT_FORMAT;
  site: string;
  timezone: string;
  generated_at: string;
  generated_by: string;
  /**
   * `data_from_utc`: where Gatehouse's data starts inside the period (later than from_utc when
   * it was installed during the period; time before it counts as "no data", not as a state).
   */
  period: { from: string; to: string; from_utc: string; to_utc: string; data_from_utc: string };
  /** When this Gatehouse began keeping evidence (its first record). */
  installed_at: string;
  summary: { controls: Record<ControlState, number>; alerts: number; alerts_open_at_end: number; audit_chain_ok: boolean };
  controls: ReportControl[];
  alerts: ReportAlert[];
  baseline_approvals: { at: string; actor: string; monitor: string; reason: string }[];
  doors: {
    configured: boolean;
    sensors: string[];
    note: string;
    after_hours: { at: string; sensor: string; state: string | null; outcome: string; onsite: { declared_by: string; reason: string } | null }[];
  };
  registers: ReportRegister[];
  audit: { ok: boolean; rows: number; broken_at: number | null; reason: string | null; entries_in_period: number };
}

export interface ReportOptions extends ComplianceOptions {
  site: string;
  /** First and last day of the period (YYYY-MM-DD, site time zone, both included). */
  from: string;
  to: string;
  now: number;
  actor: string;
  monitors?: readonly { id: string; control: string }[];
  staleAfterMs?: number;
  /** The audit chain as verified already (the daemon's, see AuditChain); default: a full walk now. */
  audit?: AuditState;
}

export class ReportError extends Error {
  override readonly name = "ReportError";
}

const iso = (ms: number) => new Date(ms).toISOString();
const EXCERPT = 1500;


/**
 * When this Gatehouse began keeping evidence: its store's creation, or an earlier first record
 * (a database restored or carried over keeps its history).
 */
export function installedAt(db: Db): number {
  const times = [firstMigrationAt(db), firstObservationAt(db), firstAuditAt(db)].filter((t): t is number => t !== null);
  return times.length ? Math.min(...times) : Date.now();
}

/** Builds the report data. Reads only. */
export function buildEvidenceReport(db: Db, opts: ReportOptions): EvidenceReport {
  if (!isIsoDate(opts.from) || !isIsoDate(opts.to)) throw new ReportError(`dates must be YYYY-MM-DD, got ${JSON.stringify(opts.from)} and ${JSON.stringify(opts.to)}`);
  if (opts.to < opts.from) throw new ReportError(`--to ${opts.to} is before --from ${opts.from}`);
  const fromMs = localMidnight(opts.from, opts.timezone);
  const toMs = Math.min(localMidnight(addDays(opts.to, 1), opts.timezone), Math.max(opts.now, fromMs + 1));
  if (fromMs >= opts.now) throw new ReportError(`the period starts ${opts.from}, in the future`);
  const installed = installedAt(db);
  if (toMs <= installed) throw new ReportError(`no data yet for ${opts.from} to ${opts.to}: Gatehouse began keeping evidence on ${iso(installed)}, after the period ended`);
  const dataFrom = Math.max(fromMs, installed);
  const registry = controlRegistry(opts.monitors);
  // One snapshot of the registers for both the controls and the registers sections, evaluated
  // as of the period's last day: the two never disagree.
  const snapshot = registerSnapshot(db);
  const asOf = [opts.to, siteToday(opts.now, opts.timezone)].sort()[0]!;
  const v = opts.audit ?? verifyAudit(db);
  const complianceNow = [...registerFindings(snapshot, asOf, opts.policy), ...platformFindings(consoleUserStats(db), v)];
  const staleMs = opts.staleAfterMs ?? 2 * 86_400_000;

  // Controls: time in state over the period, and the latest evidence inside it.
  const history = gatherHistory(db, [{ days: 0, from: dataFrom, to: toMs }], staleMs, registry, opts.now);
  const monitors = [...registry.sourceControls.keys()].filter((s) => s !== "doors");
  const sources = new Set<string>([...monitors, COMPLIANCE_SOURCE, ...findingSources(db)]);
  const evidence = new Map<string, ReportEvidence[]>();
  const excerpts = new Map<string, ReportControl["excerpts"]>();
  const add = <T>(m: Map<string, T[]>, k: string | undefined, v: T) => k && m.set(k, [...(m.get(k) ?? []), v]);
  for (const source of sources) {
    const o = latestObservationIn(db, source, fromMs, toMs);
    let findings: { rule: string; subject?: string; status: Status; message: string }[];
    let at: number | null;
    if (source === COMPLIANCE_SOURCE) {
      findings = complianceNow;
      at = opts.now;
    } else if (o) {
      findings = JSON.parse(o.findings_json) as typeof findings;
      at = o.started_at;
      if (o.evidence) {
        for (const c of registry.controlsOfSource(source)) {
          add(excerpts, c, { source, observed_at: iso(o.started_at), text: o.evidence.length > EXCERPT ? `${o.evidence.slice(0, EXCERPT)}\n… (shortened)` : o.evidence });
        }
      }
    } else continue;
    for (const f of findings) {
      const item: ReportEvidence = { source, rule: f.rule, subject: f.subject ?? "", status: f.status, state: findingState(f.rule, f.status), message: f.message, observed_at: at === null ? null : iso(at) };
      if (outcomeOfRule(f.rule) !== undefined) for (const c of registry.controlsOfSource(source)) add(evidence, c, item);
      else add(evidence, registry.controlOfFinding(source, f.rule), item);
    }
  }
  const doors = doorSection(db, fromMs, toMs);
  if (doors.configured) {
    const open = alertsInPeriod(db, fromMs, toMs, "doors").length;
    add(evidence, "physical", { source: "doors", rule: "doors.sensors", subject: "", status: open ? "warn" : "pass", state: open ? "amber" : "green", message: `${doors.sensors.length} sensor(s); ${doors.after_hours.length} after-hours event(s); ${open} door alert(s) in the period`, observed_at: iso(toMs) } as ReportEvidence);
  }

  const controls: ReportControl[] = CATALOG.map((c) => {
    const t = history.get(c.id)?.[0]?.ms ?? { green: 0, amber: 0, red: 0, grey: toMs - dataFrom };
    const ev = (evidence.get(c.id) ?? []).sort((a, b) => (b.state === a.state ? a.rule.localeCompare(b.rule) : ["red", "amber", "green", "grey"].indexOf(a.state) - ["red", "amber", "green", "grey"].indexOf(b.state)));
    const seen = (["red", "amber", "green"] as const).filter((s) => t[s] > 0);
    return {
      id: c.id,
      title: c.title,
      summary: c.summary,
      citations: c.citations,
      requirement: c.requirement,
      proposed_2025: c.proposed2025 ?? null,
      evidence_kind: c.evidence,
      worst_state: seen[0] ?? worstState(ev.map((e) => e.state)),
      end_state: worstState(ev.map((e) => e.state)),
      time_in_state_ms: t,
      percent_in_state: percentInState(t),
      evidence: ev.slice(0, 20),
      excerpts: excerpts.get(c.id) ?? [],
    };
  });

  const alerts = alertSection(db, fromMs, toMs, registry);
  const approvals = auditRowsOfAction(db, "baseline.approve", fromMs, toMs).map((r) => {
    const d = JSON.parse(r.detail_json) as { reason?: string };
    return { at: iso(r.at), actor: r.actor, monitor: r.target, reason: d.reason ?? "" };
  });
  const registers: ReportRegister[] = REGISTER_IDS.map((id) => {
    const spec = REGISTERS[id];
    return { id, title: spec.title, fields: spec.fields.map((f) => ({ name: f.name, label: f.label })), rows: listRegister(db, id).map((r) => ({ id: r.id, ...rowFields(spec, r) })) };
  });
  const inPeriod = countAuditBetween(db, fromMs, toMs);
  const counts: Record<ControlState, number> = { green: 0, amber: 0, red: 0, grey: 0 };
  for (const c of controls) counts[c.worst_state]++;
  return {
    format: REPORT_FORMAT,
    site: opts.site,
    timezone: opts.timezone,
    generated_at: iso(opts.now),
    generated_by: opts.actor,
    period: { from: opts.from, to: opts.to, from_utc: iso(fromMs), to_utc: iso(toMs), data_from_utc: iso(dataFrom) },
    installed_at: iso(installed),
    summary: { controls: counts, alerts: alerts.length, alerts_open_at_end: alerts.filter((a) => a.resolved_at === null || a.resolved_at >= iso(toMs)).length, audit_chain_ok: v.ok },
    controls,
    alerts,
    baseline_approvals: approvals,
    doors,
    registers,
    audit: { ok: v.ok, rows: v.rows, broken_at: v.ok ? null : (v.brokenAt ?? null), reason: v.ok ? null : (v.reason ?? null), entries_in_period: inPeriod },
  };
}

function alertSection(db: Db, fromMs: number, toMs: number, controls: ControlRegistry): ReportAlert[] {
  return alertsInPeriod(db, fromMs, toMs).map((r) => {
    const ack = r.ack_by && r.ack_at ? { by: r.ack_by, at: iso(r.ack_at), note: r.ack_note ?? "" } : null;
    const resolution =
      r.resolved_at !== null
        ? `resolved after ${roughAge(r.resolved_at - r.opened_at, { minMinutes: 1 })}${ack ? `; acknowledged by ${ack.by}${ack.note ? `: ${ack.note}` : ""}` : ""}`
        : ack
          ? `acknowledged by ${ack.by}${ack.note ? `: ${ack.note}` : ""}; not yet resolved`
          : "open, not acknowledged";
    return {
      id: r.id,
      source: r.source,
      control: controls.controlOfFinding(r.source, r.rule) ?? null,
      rule: r.rule,
      subject: r.subject,
      severity: r.severity,
      state: r.state,
      message: r.message,
      opened_at: iso(r.opened_at),
      acknowledged: ack,
      resolved_at: r.resolved_at === null ? null : iso(r.resolved_at),
      resolution,
    };
  });
}

function doorSection(db: Db, fromMs: number, toMs: number): EvidenceReport["doors"] {
  const sensors = listDoorStates(db).map((r) => r.sensorId);
  if (sensors.length === 0) return { configured: false, sensors: [], note: "no door sensors configured", after_hours: [] };
  const rows = afterHoursDoorEvents(db, fromMs, toMs, 5000);
  return {
    configured: true,
    sensors,
    note: rows.length === 0 ? "no door openings after hours in the period" : `${rows.length} door event(s) after hours`,
    after_hours: rows.map((r) => ({
      at: iso(r.received_at),
      sensor: r.sensor_id,
      state: r.state,
      outcome: r.outcome,
      onsite: r.declared_by ? { declared_by: r.declared_by, reason: r.reason ?? "" } : null,
    })),
  };
}

/** SHA-256 hex of a string (UTF-8). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Format /1 seal (SHA-256 of the file with the hash replaced by zeros), for old reports. */
export function verifySealedReport(text: string): { ok: boolean; sha256: string | null; computed: string | null } {
  const m = /[0-9a-f]{64}/.exec(text);
  if (!m) return { ok: false, sha256: null, computed: null };
  const computed = sha256Hex(text.slice(0, m.index) + SEAL_PLACEHOLDER + text.slice(m.index + 64));
  return { ok: computed === m[0], sha256: m[0], computed };
}

/** The JSON twin: the canonical content, whose bytes the seal digests and signs. */
export function renderReportJson(r: EvidenceReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** Renders the standalone HTML report with its seal (views/reports/evidence-report.tsx's renderEvidenceReportHtml). */
export type ReportRenderer = (r: EvidenceReport, seal: ReportSeal) => string;

/** Digests and signs the JSON twin's bytes. */
export function sealReport(jsonText: string, key: ReportKey): ReportSeal {
  return { contentSha256: sha256Hex(jsonText), signature: signReport(key, jsonText).toString("base64"), keyFingerprint: key.fingerprint, publicKeyPem: key.publicKeyPem };
}

/** One check of `verifyReport`, worded for the person running it. */
export interface ReportCheck {
  what: string;
  ok: boolean;
  detail: string;
}

/**
 * Verifies a report from its files: the JSON twin's digest and signature with the public key,
 * and (when given) the HTML's own signature and that it prints the JSON's digest — so neither
 * file can be altered, nor re-sealed without the box's private key, whichever Gatehouse version
 * verifies it.
 */
export function verifyReport(files: { jsonText: string; signature: Buffer; publicKeyPem: string; htmlText?: string; htmlSignature?: Buffer }): { ok: boolean; seal: ReportSeal | undefined; checks: ReportCheck[] } {
  const checks: ReportCheck[] = [];
  const contentSha256 = sha256Hex(files.jsonText);
  let fingerprint = "";
  try {
    fingerprint = keyFingerprint(files.publicKeyPem);
  } catch {
    checks.push({ what: "public key", ok: false, detail: "not a readable public key" });
  }
  const signed = fingerprint !== "" && verifyReportSignature(files.publicKeyPem, files.jsonText, files.signature);
  checks.push({ what: "signature", ok: signed, detail: signed ? `valid Ed25519 signature of the JSON content by key ${fingerprint}` : "the signature does not match the JSON content and key: altered, or signed by another key" });
  const seal: ReportSeal | undefined = fingerprint ? { contentSha256, signature: files.signature.toString("base64"), keyFingerprint: fingerprint, publicKeyPem: files.publicKeyPem } : undefined;
  if (files.htmlText !== undefined) {
    const htmlSigned = fingerprint !== "" && files.htmlSignature !== undefined && verifyReportSignature(files.publicKeyPem, files.htmlText, files.htmlSignature);
    const printsDigest = files.htmlText.includes(`<code>${contentSha256}</code>`);
    const ok = htmlSigned && printsDigest;
    checks.push({
      what: "html",
      ok,
      detail: ok ? `valid signature of the HTML, which prints the content digest ${contentSha256}` : !htmlSigned ? "the HTML's signature does not match: it was altered (or its .html.sig is missing)" : "the HTML does not print this JSON's content digest: they are not twins",
    });
  }
  return { ok: checks.every((c) => c.ok), seal, checks };
}

export interface GeneratedReport {
  report: EvidenceReport;
  json: { text: string; sha256: string };
  /** `signature`: Ed25519 of the HTML's bytes (base64), written beside it as FILE.html.sig. */
  html: { text: string; sha256: string; signature: string };
  seal: ReportSeal;
  auditId: number;
}

/**
 * Builds, renders and seals the report with the box's key, and records it in the audit log
 * (action `report.generate`: content digest, HTML digest, key fingerprint). The caller writes
 * the files (CLI, monthly job) or serves them (console).
 */
export function generateEvidenceReport(db: Db, opts: ReportOptions & { key: ReportKey; render: ReportRenderer; address?: string; purpose?: string }): GeneratedReport {
  const report = buildEvidenceReport(db, opts);
  const json = renderReportJson(report);
  const seal = sealReport(json, opts.key);
  const html = opts.render(report, seal);
  const row = appendAudit(db, {
    at: opts.now,
    actor: opts.actor,
    action: "report.generate",
    target: `${opts.from}..${opts.to}`,
    detail: { from: opts.from, to: opts.to, content_sha256: seal.contentSha256, html_sha256: sha256Hex(html), key: seal.keyFingerprint, purpose: opts.purpose ?? "on request" },
    ...(opts.address ? { address: opts.address } : {}),
  });
  return { report, json: { text: json, sha256: seal.contentSha256 }, html: { text: html, sha256: sha256Hex(html), signature: signReport(opts.key, html).toString("base64") }, seal, auditId: row.id };
}
