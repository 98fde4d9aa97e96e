/**
 * The `alerts` table as the code reads it: one row type for `SELECT * FROM alerts` and one
 * mapping to the camelCase view the CLI and console show. The engine, the manage functions and
 * the evidence report read the same columns; keeping the row here means a new column is added
 * once; the console lists alerts through `readAlerts` too.
 */
import type { Db } from "../store/db.js";
import type { AlertState, Severity } from "./transitions.js";

/** One row of `alerts` (migrations 001 and 002), snake_case as SQLite returns it. */
export interface AlertRow {
  id: number;
  key: string;
  source: string;
  rule: string;
  subject: string;
  severity: Severity;
  state: AlertState;
  message: string;
  details_json: string;
  opened_at: number;
  last_notified_at: number | null;
  resolved_at: number | null;
  ack_by: string | null;
  ack_at: number | null;
  ack_note: string | null;
  flap_count: number;
  good_since: number | null;
  good_message: string | null;
  silenced_by: number | null;
}

/** An alert as the console shows it: the columns that need no renaming as they are, the rest in camelCase. */
export interface AlertView extends Pick<AlertRow, "id" | "key" | "source" | "rule" | "subject" | "severity" | "state" | "message"> {
  openedAt: number;
  lastNotifiedAt: number | null;
  resolvedAt: number | null;
  ack: { by: string; at: number; note: string } | null;
  flapCount: number;
  /** While open: the finding is good again since then, resolution pending the flap window. */
  goodSince: number | null;
  /** The silence that held back its last notice, if any. */
  silencedBy: number | null;
}

/** Maps a row to its view; an acknowledgement needs both who and when. */
export const toAlertView = (r: AlertRow): AlertView => ({
  id: r.id,
  key: r.key,
  source: r.source,
  rule: r.rule,
  subject: r.subject,
  severity: r.severity,
  state: r.state,
  message: r.message,
  openedAt: r.opened_at,
  lastNotifiedAt: r.last_notified_at,
  resolvedAt: r.resolved_at,
  ack: r.ack_by !== null && r.ack_at !== null ? { by: r.ack_by, at: r.ack_at, note: r.ack_note ?? "" } : null,
  flapCount: r.flap_count,
  goodSince: r.good_since,
  silencedBy: r.silenced_by,
});

/** Runs a `SELECT * FROM alerts …` query and maps every row to its view. */
export function readAlerts(db: Db, sql: string, ...args: (string | number)[]): AlertView[] {
  return (db.prepare(sql).all(...args) as AlertRow[]).map(toAlertView);
}
