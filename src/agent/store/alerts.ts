/**
 * The `alerts` table: every statement the alert engine, the CLI, the console, the evidence
 * report and the metrics run against it, prepared once per connection. Rows come back as
 * SQLite returns them (`AlertRow`, snake_case); `alerts/rows.ts` maps them for display.
 * Filters are typed parameters bound into fixed statements, never SQL from the caller.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** How urgent an alert is: fail → critical, warn → warning, a missing baseline → info. */
export type Severity = "critical" | "warning" | "info";
/** Where an alert is in its lifecycle (the `state` column). */
export type AlertState = "firing" | "acknowledged" | "resolved";

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

/** An alert that is still open (firing or acknowledged). */
export type OpenAlertRow = AlertRow & { state: "firing" | "acknowledged" };

/** A new alert as the engine opens it: firing, never notified yet. */
export interface NewAlert {
  key: string;
  source: string;
  rule: string;
  subject: string;
  severity: Severity;
  message: string;
  detailsJson: string;
  openedAt: number;
}

/** Which alerts a list shows: open (firing and acknowledged), one state, or all; optionally one source. */
export interface AlertFilter {
  state: "open" | AlertState | "all";
  source?: string;
  limit: number;
}

/** Open alerts counted by state, severity and source (for the metrics endpoint). */
export interface OpenAlertCount {
  state: "firing" | "acknowledged";
  severity: Severity;
  source: string;
  n: number;
}

const statements = statementsFor((db) => ({
  byId: db.prepare<[number], AlertRow>("SELECT * FROM alerts WHERE id = ?"),
  open: db.prepare<[], OpenAlertRow>("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY key"),
  openOf: db.prepare<[string], OpenAlertRow>("SELECT * FROM alerts WHERE source = ? AND state != 'resolved' ORDER BY key"),
  firing: db.prepare<[], OpenAlertRow>("SELECT * FROM alerts WHERE state = 'firing' AND good_since IS NULL ORDER BY opened_at, id"),
  notifiedFiring: db.prepare<[], OpenAlertRow>("SELECT * FROM alerts WHERE state = 'firing' AND good_since IS NULL AND last_notified_at IS NOT NULL ORDER BY id"),
  recovering: db.prepare<[], OpenAlertRow>("SELECT * FROM alerts WHERE state != 'resolved' AND good_since IS NOT NULL ORDER BY key"),
  filtered: db.prepare<[{ state: string | null; open: number; source: string | null; limit: number }], AlertRow>(
    `SELECT * FROM alerts
     WHERE (@open = 0 OR state != 'resolved') AND (@state IS NULL OR state = @state) AND (@source IS NULL OR source = @source)
     ORDER BY opened_at DESC, id DESC LIMIT @limit`,
  ),
  console: db.prepare<[], AlertRow>(
    `SELECT * FROM (SELECT * FROM alerts WHERE state != 'resolved'
       ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, opened_at DESC, id DESC)
     UNION ALL SELECT * FROM (SELECT * FROM alerts WHERE state = 'resolved' ORDER BY resolved_at DESC LIMIT 50)`,
  ),
  inPeriod: db.prepare<[{ from: number; to: number; source: string | null }], AlertRow>(
    `SELECT * FROM alerts WHERE opened_at < @to AND (resolved_at IS NULL OR resolved_at >= @from) AND (@source IS NULL OR source = @source)
     ORDER BY opened_at, id`,
  ),
  openCounts: db.prepare<[], OpenAlertCount>("SELECT state, severity, source, count(*) AS n FROM alerts WHERE state != 'resolved' GROUP BY state, severity, source"),
  firingCount: db.prepare<[], number>("SELECT count(*) FROM alerts WHERE state = 'firing'").pluck(),
  insert: db.prepare<[NewAlert]>(
    `INSERT INTO alerts (key, source, rule, subject, severity, state, message, details_json, opened_at, last_notified_at)
     VALUES (@key, @source, @rule, @subject, @severity, 'firing', @message, @detailsJson, @openedAt, NULL)`,
  ),
  notified: db.prepare<[number, number]>("UPDATE alerts SET last_notified_at = ?, silenced_by = NULL WHERE id = ?"),
  silenced: db.prepare<[number, number]>("UPDATE alerts SET silenced_by = ? WHERE id = ?"),
  good: db.prepare<[number, string, number]>("UPDATE alerts SET good_since = ?, good_message = ? WHERE id = ?"),
  bad: db.prepare<[Severity, string, number, number]>("UPDATE alerts SET severity = ?, message = ?, flap_count = ?, good_since = NULL, good_message = NULL WHERE id = ?"),
  message: db.prepare<[string, number]>("UPDATE alerts SET message = ? WHERE id = ?"),
  resolve: db.prepare<[number, number]>("UPDATE alerts SET state = 'resolved', resolved_at = ?, good_since = NULL WHERE id = ?"),
  ack: db.prepare<[string, number, string, number]>("UPDATE alerts SET state = 'acknowledged', ack_by = ?, ack_at = ?, ack_note = ? WHERE id = ? AND state = 'firing'"),
}));

/** One alert by id. */
export function alertById(db: Db, id: number): AlertRow | undefined {
  return statements(db).byId.get(id);
}

/** Every open alert, by key. */
export function openAlerts(db: Db): OpenAlertRow[] {
  return statements(db).open.all();
}

/** The open alerts of one source (a monitor id, `doors`, `compliance` …), by key. */
export function openAlertsOf(db: Db, source: string): OpenAlertRow[] {
  return statements(db).openOf.all(source);
}

/** Firing, unacknowledged alerts whose finding is still bad, oldest first: the ones reminders are owed to. */
export function firingAlerts(db: Db): OpenAlertRow[] {
  return statements(db).firing.all();
}

/** Firing, still-bad alerts that have had a notice (silenced ones never have): what a new channel is owed. */
export function notifiedFiringAlerts(db: Db): OpenAlertRow[] {
  return statements(db).notifiedFiring.all();
}

/** Open alerts whose finding has turned good (waiting out the flap window), by key. */
export function recoveringAlerts(db: Db): OpenAlertRow[] {
  return statements(db).recovering.all();
}

/** Alerts, newest first, by state and source; `limit` is clamped to 1–1000. */
export function queryAlerts(db: Db, f: AlertFilter): AlertRow[] {
  return statements(db).filtered.all({
    open: f.state === "open" ? 1 : 0,
    state: f.state === "open" || f.state === "all" ? null : f.state,
    source: f.source ?? null,
    limit: Math.min(Math.max(f.limit, 1), 1000),
  });
}

/** The console's list: open alerts, most severe first (newest first within a severity), then the 50 most recently resolved. */
export function consoleAlertRows(db: Db): AlertRow[] {
  return statements(db).console.all();
}

/** Alerts open at any time in [from, to), optionally of one source, in the order they opened (the evidence report). */
export function alertsInPeriod(db: Db, from: number, to: number, source?: string): AlertRow[] {
  return statements(db).inPeriod.all({ from, to, source: source ?? null });
}

/** Open alerts counted by state, severity and source. */
export function openAlertCounts(db: Db): OpenAlertCount[] {
  return statements(db).openCounts.all();
}

/** How many alerts are firing and not acknowledged. */
export function firingAlertCount(db: Db): number {
  return statements(db).firingCount.get() ?? 0;
}

/** Opens a firing alert; returns its id. The partial unique index refuses a second open alert with the same key. */
export function insertAlert(db: Db, a: NewAlert): number {
  return Number(statements(db).insert.run(a).lastInsertRowid);
}

/** Records that a notice for the alert was queued at `at` (and that no silence held it back). */
export function markAlertNotified(db: Db, id: number, at: number): void {
  statements(db).notified.run(at, id);
}

/** Records the silence that held back the alert's notice. */
export function markAlertSilenced(db: Db, id: number, silenceId: number): void {
  statements(db).silenced.run(silenceId, id);
}

/** The alert's finding is good since `since`: resolution waits for the flap window. */
export function markAlertGood(db: Db, id: number, since: number, message: string): void {
  statements(db).good.run(since, message, id);
}

/** The finding is bad (again): new severity and wording, the flap count, and no pending recovery. */
export function markAlertBad(db: Db, id: number, b: { severity: Severity; message: string; flapCount: number }): void {
  statements(db).bad.run(b.severity, b.message, b.flapCount, id);
}

/** Keeps the newest wording of a still-bad alert for the console. */
export function setAlertMessage(db: Db, id: number, message: string): void {
  statements(db).message.run(message, id);
}

/** Resolves an alert at `at`. */
export function resolveAlert(db: Db, id: number, at: number): void {
  statements(db).resolve.run(at, id);
}

/** Acknowledges a firing alert; false when it was not firing. */
export function acknowledgeAlert(db: Db, id: number, a: { by: string; at: number; note: string }): boolean {
  return statements(db).ack.run(a.by, a.at, a.note, id).changes > 0;
}
