/**
 * Plain functions the CLI and the web console call to read and act on alerts: list, show,
 * acknowledge (audited), and the delivery history of each notice.
 */
import { appendAudit } from "../audit.js";
import type { Db } from "../store/db.js";
import { readAlerts, type AlertView } from "./rows.js";
import { canAcknowledge, type AlertState } from "./transitions.js";

export type { AlertView } from "./rows.js";

/** An alert action was refused; the message is safe to show. */
export class AlertActionError extends Error {
  override readonly name = "AlertActionError";
}

/** Alerts, newest first: open ones (firing and acknowledged) by default, or every state. */
export function listAlerts(db: Db, opts: { state?: "open" | AlertState | "all"; source?: string; limit?: number } = {}): AlertView[] {
  const state = opts.state ?? "open";
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (state === "open") where.push("state != 'resolved'");
  else if (state !== "all") {
    where.push("state = ?");
    args.push(state);
  }
  if (opts.source) {
    where.push("source = ?");
    args.push(opts.source);
  }
  args.push(Math.min(Math.max(opts.limit ?? 200, 1), 1000));
  const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY opened_at DESC, id DESC LIMIT ?`;
  return readAlerts(db, sql, ...args);
}

/** One alert, or undefined. */
export function getAlert(db: Db, id: number): AlertView | undefined {
  return readAlerts(db, "SELECT * FROM alerts WHERE id = ?", id)[0];
}

/**
 * Acknowledges a firing alert: reminders stop, the recovery notice still comes. Records who,
 * when and the note, and appends an audit entry in the same transaction.
 */
export function ackAlert(db: Db, id: number, req: { actor: string; note: string; now: number; address?: string }): AlertView {
  const note = req.note.trim();
  if (note.length === 0) throw new AlertActionError("an acknowledgement needs a note (what is being done about it)");
  if (note.length > 1000) throw new AlertActionError("the note is longer than 1000 characters");
  return db.transaction(() => {
    const before = getAlert(db, id);
    if (!before) throw new AlertActionError(`no alert ${id}`);
    if (!canAcknowledge(before.state)) throw new AlertActionError(`alert ${id} is ${before.state}; only a firing alert can be acknowledged`);
    db.prepare("UPDATE alerts SET state = 'acknowledged', ack_by = ?, ack_at = ?, ack_note = ? WHERE id = ? AND state = 'firing'").run(req.actor, req.now, note, id);
    appendAudit(db, {
      actor: req.actor,
      action: "alerts.ack",
      target: `alert:${id}`,
      detail: { key: before.key, note },
      at: req.now,
      ...(req.address ? { address: req.address } : {}),
    });
    return getAlert(db, id)!;
  })();
}

/** One delivery attempt of one outbox message. */
export interface DeliveryAttempt {
  outboxId: number;
  channel: string;
  at: number;
  durationMs: number;
  ok: boolean;
  error: string | null;
}

/** A queued or sent notice with its delivery state, for the console. */
export interface NoticeView {
  id: number;
  alertId: number | null;
  event: string;
  channel: string;
  messageId: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  sentAt: number | null;
  /** Carried by another notice (grouping). */
  mergedInto: number | null;
}

interface NoticeRow {
  id: number;
  alert_id: number | null;
  event: string;
  channel: string;
  message_id: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  sent_at: number | null;
  merged_into: number | null;
}

/** Recent notices, newest first; `pending` keeps only those not yet accepted by their peer. */
export function listNotices(db: Db, opts: { pending?: boolean; limit?: number } = {}): NoticeView[] {
  const rows = db
    .prepare(
      `SELECT id, alert_id, event, channel, message_id, created_at, attempts, next_attempt_at, last_error, sent_at, merged_into
       FROM outbox ${opts.pending ? "WHERE sent_at IS NULL AND merged_into IS NULL" : ""} ORDER BY id DESC LIMIT ?`,
    )
    .all(Math.min(Math.max(opts.limit ?? 100, 1), 1000)) as NoticeRow[];
  return rows.map((r) => ({
    id: r.id,
    alertId: r.alert_id,
    event: r.event,
    channel: r.channel,
    messageId: r.message_id,
    createdAt: r.created_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    sentAt: r.sent_at,
    mergedInto: r.merged_into,
  }));
}

/** Delivery attempts, newest first, of one notice or of all. */
export function listDeliveryAttempts(db: Db, opts: { outboxId?: number; limit?: number } = {}): DeliveryAttempt[] {
  const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
  const rows = (
    opts.outboxId !== undefined
      ? db.prepare("SELECT * FROM delivery_attempts WHERE outbox_id = ? ORDER BY id DESC LIMIT ?").all(opts.outboxId, limit)
      : db.prepare("SELECT * FROM delivery_attempts ORDER BY id DESC LIMIT ?").all(limit)
  ) as { outbox_id: number; channel: string; at: number; duration_ms: number; ok: number; error: string | null }[];
  return rows.map((r) => ({ outboxId: r.outbox_id, channel: r.channel, at: r.at, durationMs: r.duration_ms, ok: r.ok === 1, error: r.error }));
}
