/**
 * Observations: one row per check run of a source (a monitor, `compliance`, `host:<id>`), with
 * its evidence, facts and findings as they were. Finding state is not written here: that is the
 * findings pipeline's (src/agent/findings/record.ts), called in the same transaction.
 */
import type { Facts, Status } from "../../monitors/monitor.js";
import type { Finding } from "../evaluator.js";
import type { Db } from "./db.js";
import { rememberItems } from "./findings.js";
import { appendObservation, pruneObservationLog } from "./observation-log.js";
import { statementsFor } from "./statements.js";

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

const statements = statementsFor((db: Db) => ({
  latest: db.prepare<[string], ObservationRow>("SELECT * FROM observations WHERE monitor = ? ORDER BY started_at DESC, id DESC LIMIT 1"),
  recent: db.prepare<[string, number], ObservationRow>("SELECT * FROM observations WHERE monitor = ? ORDER BY started_at DESC, id DESC LIMIT ?"),
}));

/**
 * Inserts one observation and, for a successful probe, remembers the items of its list facts.
 * Its findings become the source's finding state through record(), not here.
 */
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
  if (o.outcome === "ok") rememberItems(db, o.monitor, o.facts, o.startedAt);
  return id;
}

/** The most recent observation of a monitor. */
export function latestObservation(db: Db, monitor: string): StoredObservation | undefined {
  const r = statements(db).latest.get(monitor);
  return r ? fromRow(r) : undefined;
}

/** Recent observations of a monitor, newest first. */
export function recentObservations(db: Db, monitor: string, limit = 50): StoredObservation[] {
  return statements(db).recent.all(monitor, limit).map(fromRow);
}

/**
 * Deletes observations older than `cutoff` (ms) in batches so the writer never stalls long, and
 * the stored results no remaining observation points at.
 */
export function pruneObservations(db: Db, cutoff: number, batch = 5000): number {
  return pruneObservationLog(db, cutoff, batch);
}
