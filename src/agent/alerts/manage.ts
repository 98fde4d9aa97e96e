/**
 * Plain functions the CLI and the web console call to read and act on alerts: list, show,
 * acknowledge (audited), and the delivery history of each notice.
 */
import { appendAudit } from "../audit.js";
import { acknowledgeAlert, alertById, queryAlerts } from "../store/alerts.js";
import type { Db } from "../store/db.js";
import { deliveryAttempts, recentNotices, type DeliveryAttempt, type NoticeView } from "../store/outbox.js";
import { toAlertView, type AlertView } from "./rows.js";
import { canAcknowledge, type AlertState } from "./transitions.js";

export type { AlertView } from "./rows.js";
export type { DeliveryAttempt, NoticeView } from "../store/outbox.js";

/** An alert action was refused; the message is safe to show. */
export class AlertActionError extends Error {
  override readonly name = "AlertActionError";
}

/** Alerts, newest first: open ones (firing and acknowledged) by default, or every state. */
export function listAlerts(db: Db, opts: { state?: "open" | AlertState | "all"; source?: string; limit?: number } = {}): AlertView[] {
  return queryAlerts(db, { state: opts.state ?? "open", ...(opts.source ? { source: opts.source } : {}), limit: opts.limit ?? 200 }).map(toAlertView);
}

/** One alert, or undefined. */
export function getAlert(db: Db, id: number): AlertView | undefined {
  const r = alertById(db, id);
  return r && toAlertView(r);
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
    acknowledgeAlert(db, id, { by: req.actor, at: req.now, note });
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

/** Recent notices, newest first; `pending` keeps only those not yet accepted by their peer. */
export function listNotices(db: Db, opts: { pending?: boolean; limit?: number } = {}): NoticeView[] {
  return recentNotices(db, { pending: opts.pending ?? false, limit: Math.min(Math.max(opts.limit ?? 100, 1), 1000) });
}

/** Delivery attempts, newest first, of one notice or of all. */
export function listDeliveryAttempts(db: Db, opts: { outboxId?: number; limit?: number } = {}): DeliveryAttempt[] {
  const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
  return deliveryAttempts(db, { ...(opts.outboxId !== undefined ? { outboxId: opts.outboxId } : {}), limit });
}
