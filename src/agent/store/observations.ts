/**
 * Observations, finding state, remembered list items and baselines. Parameterized SQL only.
 */
import type { Facts, Status } from "../../monitors/monitor.js";
import type { Finding, FindingKind } from "../evaluator.js";
import { findingKey } from "../evaluator.js";
import type { Db } from "./db.js";
import { appendObservation, pruneObservationLog } from "./observation-log.js";

export interface ObservationRecord {
  monitor: string;
  startedAt: number;
  durationMs: number;
  status: Status;
  outcome: "ok" | "not_applicable" | "error";
  error?: string;
  evidence: string;
  facts: Facts;
  findings: Finding[];
}

export interface StoredObservation extends ObservationRecord {
  id: number;
}

interface ObservationRow {
  id: number;
  monitor: string;
  started_at: number;
  duration_ms: number;
  status: Status;
  outcome: "ok" | "not_applicable" | "error";
  error: string | null;
  evidence: string;
  facts_json: string;
  findings_json: string;
}

function fromRow(r: ObservationRow): StoredObservation {
  return {
    id: r.id,
    monitor: r.monitor,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    status: r.status,
    outcome: r.outcome,
    ...(r.error ? { error: r.error } : {}),
    evidence: r.evidence,
    facts: JSON.parse(r.facts_json) as Facts,
    findings: JSON.parse(r.findings_json) as Finding[],
  };
}

const MAX_EVIDENCE = 16 * 1024;

/** Inserts one observation and updates finding state and remembered list items. */
export function insertObservation(db: Db, o: ObservationRecord): number {
  const evidence = o.evidence.length > MAX_EVIDENCE ? `${o.evidence.slice(0, MAX_EVIDENCE)}\n… (truncated)` : o.evidence;
  const id = appendObservation(db, {
    monitor: o.monitor,
    startedAt: o.startedAt,
    durationMs: o.durationMs,
    status: o.status,
    outcome: o.outcome,
    error: o.error ?? null,
    evidence,
    factsJson: JSON.stringify(o.facts),
    findingsJson: JSON.stringify(o.findings),
  });
  updateFindingState(db, o.monitor, o.findings, o.startedAt);
  if (o.outcome === "ok") rememberItems(db, o.monitor, o.facts, o.startedAt);
  return id;
}

function updateFindingState(db: Db, monitor: string, findings: Finding[], at: number): void {
  const existing = new Map(
    (db.prepare("SELECT key, status FROM finding_state WHERE monitor = ?").all(monitor) as { key: string; status: Status }[]).map((r) => [r.key, r.status]),
  );
  const upsert = db.prepare(
    `INSERT INTO finding_state (key, monitor, rule, subject, kind, status, message, since, last_seen)
     VALUES (@key, @monitor, @rule, @subject, @kind, @status, @message, @at, @at)
     ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, message = excluded.message, last_seen = excluded.last_seen,
       since = CASE WHEN finding_state.status = excluded.status THEN finding_state.since ELSE excluded.since END,
       status = excluded.status`,
  );
  const seen = new Set<string>();
  for (const f of findings) {
    const key = findingKey(monitor, f);
    seen.add(key);
    upsert.run({ key, monitor, rule: f.rule, subject: f.subject ?? "", kind: f.kind, status: f.status, message: f.message, at });
  }
  const del = db.prepare("DELETE FROM finding_state WHERE key = ?");
  for (const key of existing.keys()) if (!seen.has(key)) del.run(key);
}

function rememberItems(db: Db, monitor: string, facts: Facts, at: number): void {
  const upsert = db.prepare(
    `INSERT INTO fact_items (monitor, fact_key, item, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (monitor, fact_key, item) DO UPDATE SET last_seen = excluded.last_seen`,
  );
  for (const [key, value] of Object.entries(facts)) {
    if (!Array.isArray(value)) continue;
    for (const item of value) upsert.run(monitor, key, item, at, at);
  }
  // An item that disappeared and comes back later starts a new "first seen".
  db.prepare("DELETE FROM fact_items WHERE monitor = ? AND last_seen < ?").run(monitor, at);
}

/** first_seen per item of a monitor's list facts, for PolicyContext.firstSeen. */
export function loadFirstSeen(db: Db, monitor: string): (factKey: string, item: string) => Date | undefined {
  const rows = db.prepare("SELECT fact_key, item, first_seen FROM fact_items WHERE monitor = ?").all(monitor) as {
    fact_key: string;
    item: string;
    first_seen: number;
  }[];
  const map = new Map(rows.map((r) => [`${r.fact_key}\u0000${r.item}`, r.first_seen]));
  return (factKey, item) => {
    const t = map.get(`${factKey}\u0000${item}`);
    return t === undefined ? undefined : new Date(t);
  };
}

/** The most recent observation of a monitor. */
export function latestObservation(db: Db, monitor: string): StoredObservation | undefined {
  const r = db.prepare("SELECT * FROM observations WHERE monitor = ? ORDER BY started_at DESC, id DESC LIMIT 1").get(monitor) as ObservationRow | undefined;
  return r ? fromRow(r) : undefined;
}

/** Recent observations of a monitor, newest first. */
export function recentObservations(db: Db, monitor: string, limit = 50): StoredObservation[] {
  return (db.prepare("SELECT * FROM observations WHERE monitor = ? ORDER BY started_at DESC, id DESC LIMIT ?").all(monitor, limit) as ObservationRow[]).map(fromRow);
}

export interface FindingStateRow {
  key: string;
  monitor: string;
  rule: string;
  subject: string;
  kind: FindingKind;
  status: Status;
  message: string;
  since: number;
  last_seen: number;
}

/** Current findings, optionally for one monitor. */
export function currentFindings(db: Db, monitor?: string): FindingStateRow[] {
  return (
    monitor
      ? db.prepare("SELECT * FROM finding_state WHERE monitor = ? ORDER BY key").all(monitor)
      : db.prepare("SELECT * FROM finding_state ORDER BY key").all()
  ) as FindingStateRow[];
}

/**
 * Deletes observations older than `cutoff` (ms) in batches so the writer never stalls long, and
 * the stored results no remaining observation points at.
 */
export function pruneObservations(db: Db, cutoff: number, batch = 5000): number {
  return pruneObservationLog(db, cutoff, batch);
}

export interface Baseline {
  monitor: string;
  facts: Facts;
  approvedAt: number;
  approvedBy: string;
  reason: string;
}

/** The approved baseline of a monitor, if any. */
export function getBaseline(db: Db, monitor: string): Baseline | undefined {
  const r = db.prepare("SELECT * FROM baselines WHERE monitor = ?").get(monitor) as
    | { monitor: string; facts_json: string; approved_at: number; approved_by: string; reason: string }
    | undefined;
  return r ? { monitor: r.monitor, facts: JSON.parse(r.facts_json) as Facts, approvedAt: r.approved_at, approvedBy: r.approved_by, reason: r.reason } : undefined;
}

/** Stores a baseline (the caller audits it in the same transaction). */
export function putBaseline(db: Db, b: Baseline): void {
  db.prepare(
    `INSERT INTO baselines (monitor, facts_json, approved_at, approved_by, reason) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (monitor) DO UPDATE SET facts_json = excluded.facts_json, approved_at = excluded.approved_at,
       approved_by = excluded.approved_by, reason = excluded.reason`,
  ).run(b.monitor, JSON.stringify(b.facts), b.approvedAt, b.approvedBy, b.reason);
}
