/**
 * Applies findings to alerts: opens, escalates, damps flapping and resolves them, and writes
 * each notification to the outbox in the same transaction as the state change (call inside
 * db.transaction). Silenced notices are recorded on the alert but not queued. Outbox rows wait
 * `group_wait` and carry a group key so the worker can merge notices for the same channel and
 * event into one message.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { outcomeOfRule } from "../../monitors/monitor.js";
import type { Finding } from "../evaluator.js";
import { findingKey } from "../evaluator.js";
import {
  firingAlerts,
  insertAlert,
  markAlertBad,
  markAlertGood,
  markAlertNotified,
  markAlertSilenced,
  openAlertsOf,
  recoveringAlerts,
  resolveAlert,
  setAlertMessage,
  type AlertRow,
  type OpenAlertRow,
} from "../store/alerts.js";
import type { Db } from "../store/db.js";
import { insertNotice } from "../store/outbox.js";
import { DEFAULT_POLICY, groupWaitFor, type AlertPolicy } from "./config.js";
import { controlMapper } from "./controls.js";
import { meetsSeverity, topSeverity, type Notification, type NotificationEvent, type NotificationItem } from "./notification.js";
import { activeSilences, silenceCovers, type Silence } from "./silences.js";
import { decide, noticeDue, severityFor, type OpenAlert, type Severity } from "./transitions.js";

/** A delivery channel as the engine sees it: a name and what it wants to receive. */
export interface ChannelRoute {
  channel: string;
  minSeverity: Severity;
  /** Only items whose source evidences one of these controls; absent = every control. */
  controls?: readonly string[];
}

/** What the engine needs besides the database; `policy` and `controlOf` have defaults. */
export interface AlertContext {
  site: string;
  /** The box's name in every notice; default os.hostname(). */
  host?: string;
  routes: readonly ChannelRoute[];
  consoleUrl?: string;
  now: number;
  policy?: Partial<AlertPolicy>;
  /** Source → control; default: monitors by `.control`, doors → physical. */
  controlOf?: (source: string) => string | undefined;
}

const toOpen = (r: OpenAlertRow): OpenAlert => ({
  id: r.id,
  severity: r.severity,
  state: r.state,
  lastNotifiedAt: r.last_notified_at,
  goodSince: r.good_since,
  flapCount: r.flap_count,
});

let defaultControlOf: ((source: string) => string | undefined) | undefined;
/** The context's source → control mapping, or the default one (monitors, doors). */
export function controlOfFor(ctx: AlertContext): (source: string) => string | undefined {
  if (ctx.controlOf) return ctx.controlOf;
  defaultControlOf ??= controlMapper();
  return defaultControlOf;
}

const policyOf = (ctx: AlertContext): AlertPolicy => ({ ...DEFAULT_POLICY, ...ctx.policy });

/**
 * Reconciles a source's open alerts with its latest findings. When `complete` is false (the
 * probe failed), alerts for policy and drift rules are kept: not knowing is not recovering.
 * Returns the outbox ids written.
 */
export function applyFindings(db: Db, ctx: AlertContext, source: string, findings: readonly Finding[], complete: boolean): number[] {
  const policy = policyOf(ctx);
  const controlOf = controlOfFor(ctx);
  const silences = activeSilences(db, ctx.now);
  const open = new Map(openAlertsOf(db, source).map((r) => [r.key, r]));
  const firing: NotificationItem[] = [];
  const resolved: NotificationItem[] = [];
  const seen = new Set<string>();
  const coveredBy = (a: { source: string; rule: string; key: string }): Silence | undefined => silences.find((s) => silenceCovers(s, a));

  /** Queues a notice unless a silence covers it; records which happened. */
  const notice = (list: NotificationItem[], alertId: number, a: { source: string; rule: string; key: string }, it: NotificationItem): void => {
    const s = coveredBy(a);
    if (s) markAlertSilenced(db, alertId, s.id);
    else {
      markAlertNotified(db, alertId, ctx.now);
      list.push(it);
    }
  };
  const settleGood = (row: OpenAlertRow, message: string): void => {
    const d = decide(toOpen(row), undefined, ctx.now, policy.flapWindowMs);
    if (d.action === "pending") markAlertGood(db, row.id, d.goodSince, message);
    else if (d.action === "resolve") {
      const it = resolveRow(db, row, ctx.now, row.good_message ?? message, controlOf);
      if (d.notify && !coveredBy(row)) resolved.push(it);
    }
  };

  for (const f of findings) {
    const key = findingKey(source, f);
    seen.add(key);
    const row = open.get(key);
    const d = decide(row && toOpen(row), f, ctx.now, policy.flapWindowMs);
    const a = { source, rule: f.rule, key };
    switch (d.action) {
      case "open": {
        const id = insertAlert(db, {
          key,
          source,
          rule: f.rule,
          subject: f.subject ?? "",
          severity: d.severity,
          message: f.message,
          detailsJson: JSON.stringify({ facts: f.facts, change: f.change ?? null }),
          openedAt: ctx.now,
        });
        notice(firing, id, a, item(id, d.severity, source, f, ctx.now, 0, controlOf));
        break;
      }
      case "update":
      case "relapse": {
        if (!row) break;
        const flaps = row.flap_count + (d.action === "relapse" ? 1 : 0);
        markAlertBad(db, row.id, { severity: d.severity, message: f.message, flapCount: flaps });
        if (d.notify) notice(firing, row.id, a, item(row.id, d.severity, source, f, row.opened_at, flaps, controlOf));
        break;
      }
      case "pending":
      case "resolve":
        if (row) settleGood(row, f.message);
        break;
      case "none":
        // Still bad at the same severity: keep the newest wording for the console.
        if (row && severityFor(f) && row.message !== f.message) setAlertMessage(db, row.id, f.message);
        break;
    }
  }
  for (const [key, row] of open) {
    if (seen.has(key)) continue;
    if (!complete && outcomeOfRule(row.rule) === undefined) continue;
    settleGood(row, "no longer reported");
  }
  const ids: number[] = [];
  if (firing.length) ids.push(...enqueue(db, ctx, "firing", firing));
  if (resolved.length) ids.push(...enqueue(db, ctx, "resolved", resolved));
  return ids;
}

function item(
  alertId: number,
  severity: Severity,
  source: string,
  f: Finding,
  since: number,
  flaps: number,
  controlOf: (s: string) => string | undefined,
): NotificationItem {
  const control = controlOf(source);
  return {
    alertId,
    severity,
    source,
    rule: f.rule,
    subject: f.subject ?? "",
    message: f.message,
    since,
    ...(f.change ? { change: f.change } : {}),
    ...(control ? { control } : {}),
    ...(flaps > 0 ? { flaps } : {}),
  };
}

/** The notice item of a stored alert (reminders, recoveries, channels added later). */
export function rowItem(r: AlertRow, message: string, controlOf: (s: string) => string | undefined): NotificationItem {
  const control = controlOf(r.source);
  return {
    alertId: r.id,
    severity: r.severity,
    source: r.source,
    rule: r.rule,
    subject: r.subject,
    message,
    since: r.opened_at,
    ...(control ? { control } : {}),
    ...(r.flap_count > 0 ? { flaps: r.flap_count } : {}),
  };
}

function resolveRow(db: Db, row: OpenAlertRow, now: number, message: string, controlOf: (s: string) => string | undefined): NotificationItem {
  resolveAlert(db, row.id, now);
  return rowItem(row, `resolved: ${message}`, controlOf);
}

const GROUPED: ReadonlySet<NotificationEvent> = new Set(["firing", "reminder", "resolved"]);

/**
 * Writes one notification per routed channel to the outbox; returns the outbox ids. Each channel
 * gets only the items at or above its minimum severity and, if it lists controls, for those
 * controls. Alert notices wait the `group_wait` of their most severe item (critical: 0 by
 * default, so an alarm is never held back) and carry `channel|event` as their group key.
 */
export function enqueue(db: Db, ctx: AlertContext, event: NotificationEvent, items: NotificationItem[]): number[] {
  const policy = policyOf(ctx);
  const grouped = GROUPED.has(event);
  const ids: number[] = [];
  for (const r of ctx.routes) {
    const mine = grouped
      ? items.filter((i) => meetsSeverity(i.severity, r.minSeverity) && (!r.controls || (i.control !== undefined && r.controls.includes(i.control))))
      : items;
    if (mine.length === 0) continue;
    const n: Notification = { event, site: ctx.site, host: ctx.host ?? hostname(), at: ctx.now, items: mine, ...(ctx.consoleUrl ? { consoleUrl: ctx.consoleUrl } : {}) };
    ids.push(
      insertNotice(db, {
        alertId: mine.length === 1 ? mine[0]!.alertId : null,
        event,
        channel: r.channel,
        messageId: `<${randomUUID()}@gatehouse>`,
        payloadJson: JSON.stringify(n),
        createdAt: ctx.now,
        nextAttemptAt: ctx.now + (grouped ? groupWaitFor(policy, topSeverity(n)) : 0),
        groupKey: grouped ? `${r.channel}|${event}` : null,
      }),
    );
  }
  return ids;
}

/**
 * Enqueues what open alerts are owed by time alone: reminders for firing, unacknowledged alerts
 * every `renotifyAfterMs`, and the first notice of alerts opened under a silence that has since
 * ended. Returns how many alerts got a notice.
 */
export function enqueueReminders(db: Db, ctx: AlertContext, renotifyAfterMs: number): number {
  // Own transaction (a savepoint when nested): the mark and its outbox row commit together.
  return db.transaction(() => remindersIn(db, ctx, renotifyAfterMs))();
}

function remindersIn(db: Db, ctx: AlertContext, renotifyAfterMs: number): number {
  const controlOf = controlOfFor(ctx);
  const silences = activeSilences(db, ctx.now);
  const byEvent = { firing: [] as NotificationItem[], reminder: [] as NotificationItem[] };
  for (const r of firingAlerts(db)) {
    const due = noticeDue(toOpen(r), ctx.now, renotifyAfterMs);
    if (!due) continue;
    if (silences.some((s) => silenceCovers(s, r))) continue;
    markAlertNotified(db, r.id, ctx.now);
    byEvent[due].push(rowItem(r, r.message, controlOf));
  }
  if (byEvent.firing.length) enqueue(db, ctx, "firing", byEvent.firing);
  if (byEvent.reminder.length) enqueue(db, ctx, "reminder", byEvent.reminder);
  return byEvent.firing.length + byEvent.reminder.length;
}

/**
 * Resolves open alerts whose finding has stayed good for the flap window, without waiting for
 * the monitor's next run (a daily monitor would otherwise hold a recovery for a day). Call from
 * a periodic job. Returns the outbox ids written.
 */
export function settleAlerts(db: Db, ctx: AlertContext): number[] {
  return db.transaction(() => settleIn(db, ctx))();
}

function settleIn(db: Db, ctx: AlertContext): number[] {
  const policy = policyOf(ctx);
  const controlOf = controlOfFor(ctx);
  const silences = activeSilences(db, ctx.now);
  const resolved: NotificationItem[] = [];
  for (const r of recoveringAlerts(db)) {
    const d = decide(toOpen(r), undefined, ctx.now, policy.flapWindowMs);
    if (d.action !== "resolve") continue;
    const it = resolveRow(db, r, ctx.now, r.good_message ?? "recovered", controlOf);
    if (d.notify && !silences.some((s) => silenceCovers(s, r))) resolved.push(it);
  }
  return resolved.length ? enqueue(db, ctx, "resolved", resolved) : [];
}
