/**
 * Approved baselines: the facts an administrator approved for a monitor, against which drift is
 * judged. One row per monitor; approval is audited by the caller in the same transaction.
 */
import type { Facts } from "../../monitors/monitor.js";
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

export interface Baseline {
  monitor: string;
  facts: Facts;
  approvedAt: number;
  approvedBy: string;
  reason: string;
}

interface BaselineRow {
  monitor: string;
  facts_json: string;
  approved_at: number;
  approved_by: string;
  reason: string;
}

const statements = statementsFor((db: Db) => ({
  get: db.prepare<[string], BaselineRow>("SELECT * FROM baselines WHERE monitor = ?"),
  put: db.prepare<[string, string, number, string, string]>(
    `INSERT INTO baselines (monitor, facts_json, approved_at, approved_by, reason) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (monitor) DO UPDATE SET facts_json = excluded.facts_json, approved_at = excluded.approved_at,
       approved_by = excluded.approved_by, reason = excluded.reason`,
  ),
}));

/** The approved baseline of a monitor, if any. */
export function getBaseline(db: Db, monitor: string): Baseline | undefined {
  const r = statements(db).get.get(monitor);
  return r ? { monitor: r.monitor, facts: JSON.parse(r.facts_json) as Facts, approvedAt: r.approved_at, approvedBy: r.approved_by, reason: r.reason } : undefined;
}

/** Stores a baseline (the caller audits it in the same transaction). */
export function putBaseline(db: Db, b: Baseline): void {
  statements(db).put.run(b.monitor, JSON.stringify(b.facts), b.approvedAt, b.approvedBy, b.reason);
}
