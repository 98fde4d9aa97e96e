/**
 * Applies findings to alerts: opens, escalates and resolves them, and writes each notification
 * to the outbox in the same transaction as the state change (call inside db.transaction).
 */
import { randomUUID } from "node:crypto";
import type { Finding } from "../evaluator.js";
import { findingKey } from "../evaluator.js";
import type { Db } from "../store/db.js";
import { meetsSeverity, topSeverity, type Notification, type NotificationEvent, type NotificationItem } from "./notification.js";
import { decide, reminderDue, type OpenAlert, type Severity } from "./transitions.js";

/** A delivery channel as the engine sees it: a name and what it wants to receive. */
export interface ChannelRoute {
  channel: string;
  minSeverity: Severity;
}

export interface AlertContext {
  site: string;
  routes: readonly ChannelRoute[];
  consoleUrl?: string;
  now: number;
}

interface AlertRow {
  id: number;
  key: string;
  source: string;
  rule: string;
  subject: string;
  severity: Severity;
  state: "firing" | "acknowledged";
  message: string;
  opened_at: number;
  last_notified_at: number | null;
}

const toOpen = (r: AlertRow): OpenAlert => ({ id: r.id, severity: r.severity, state: r.state, lastNotifiedAt: r.last_notified_at });

/**
 * Reconciles a source's open alerts with its latest findings. When `complete` is false (the
 * probe failed), alerts for policy and drift rules are kept: not knowing is not recovering.
 */
export function applyFindings(db: Db, ctx: AlertContext, source: string, findings: readonly Finding[], complete: boolean): number[] {
  const open = new Map(
    (db.prepare("SELECT * FROM alerts WHERE source = ? AND state != 'resolved'").all(source) as AlertRow[]).map((r) => [r.key, r]),
  );
  const firing: NotificationItem[] = [];
  const resolved: NotificationItem[] = [];
  const seen = new Set<string>();

  for (const f of findings) {
    const key = findingKey(source, f);
    seen.add(key);
    const row = open.get(key);
    const d = decide(row && toOpen(row), f);
    if (d.action === "open") {
      const info = db
        .prepare(
          `INSERT INTO alerts (key, source, rule, subject, severity, state, message, details_json, opened_at, last_notified_at)
           VALUES (?, ?, ?, ?, ?, 'firing', ?, ?, ?, ?)`,
        )
        .run(key, source, f.rule, f.subject ?? "", d.severity, f.message, JSON.stringify({ facts: f.facts, change: f.change ?? null }), ctx.now, ctx.now);
      firing.push(item(Number(info.lastInsertRowid), d.severity, source, f, ctx.now));
    } else if (d.action === "update" && row) {
      db.prepare("UPDATE alerts SET severity = ?, message = ?, last_notified_at = CASE WHEN ? THEN ? ELSE last_notified_at END WHERE id = ?").run(
        d.severity,
        f.message,
        d.notify ? 1 : 0,
        ctx.now,
        row.id,
      );
      if (d.notify) firing.push(item(row.id, d.severity, source, f, row.opened_at));
    } else if (d.action === "resolve" && row) {
      resolved.push(resolveRow(db, row, ctx.now, f.message));
    } else if (d.action === "none" && row && row.message !== f.message) {
      db.prepare("UPDATE alerts SET message = ? WHERE id = ?").run(f.message, row.id);
    }
  }
  for (const [key, row] of open) {
    if (seen.has(key)) continue;
    const probeRule = /\.(probe_error|policy_error|not_applicable)$/.test(row.rule);
    if (!complete && !probeRule) continue;
    resolved.push(resolveRow(db, row, ctx.now, "no longer reported"));
  }
  const ids: number[] = [];
  if (firing.length) ids.push(...enqueue(db, ctx, "firing", firing));
  if (resolved.length) ids.push(...enqueue(db, ctx, "resolved", resolved));
  return ids;
}

function item(alertId: number, severity: Severity, source: string, f: Finding, since: number): NotificationItem {
  return { alertId, severity, source, rule: f.rule, subject: f.subject ?? "", message: f.message, since, ...(f.change ? { change: f.change } : {}) };
}

function resolveRow(db: Db, row: AlertRow, now: number, message: string): NotificationItem {
  db.prepare("UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE id = ?").run(now, row.id);
  return { alertId: row.id, severity: row.severity, source: row.source, rule: row.rule, subject: row.subject, message: `resolved: ${message}`, since: row.opened_at };
}

/** Writes one notification per routed channel to the outbox; returns the outbox ids. */
export function enqueue(db: Db, ctx: AlertContext, event: NotificationEvent, items: NotificationItem[]): number[] {
  const n: Notification = { event, site: ctx.site, at: ctx.now, items, ...(ctx.consoleUrl ? { consoleUrl: ctx.consoleUrl } : {}) };
  const severity = topSeverity(n);
  const insert = db.prepare(
    `INSERT INTO outbox (alert_id, event, channel, message_id, payload_json, created_at, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const ids: number[] = [];
  for (const r of ctx.routes) {
    if (event !== "test" && !meetsSeverity(severity, r.minSeverity)) continue;
    const messageId = `<${randomUUID()}@gatehouse>`;
    const info = insert.run(items.length === 1 ? items[0]!.alertId : null, event, r.channel, messageId, JSON.stringify(n), ctx.now, ctx.now);
    ids.push(Number(info.lastInsertRowid));
  }
  return ids;
}

/** Enqueues reminders for firing, unacknowledged alerts whose last notice is older than renotifyAfterMs. */
export function enqueueReminders(db: Db, ctx: AlertContext, renotifyAfterMs: number): number {
  const rows = db.prepare("SELECT * FROM alerts WHERE state = 'firing'").all() as AlertRow[];
  const due = rows.filter((r) => reminderDue(toOpen(r), ctx.now, renotifyAfterMs));
  if (due.length === 0) return 0;
  const mark = db.prepare("UPDATE alerts SET last_notified_at = ? WHERE id = ?");
  for (const r of due) mark.run(ctx.now, r.id);
  enqueue(
    db,
    ctx,
    "reminder",
    due.map((r) => ({ alertId: r.id, severity: r.severity, source: r.source, rule: r.rule, subject: r.subject, message: r.message, since: r.opened_at })),
  );
  return due.length;
}
