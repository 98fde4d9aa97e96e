/**
 * The delivery side of alerting: the `outbox` (every notice, written in the transaction that
 * changed the alert), `delivery_attempts` (each try, for the console) and `alerting_state`
 * (small state of periodic jobs: the last digest day, the last heartbeat, a register change).
 * Statements prepared once per connection; columns mapped to camelCase in the SQL itself.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** Why a notice is sent ("report": the monthly evidence report is ready). */
export type NotificationEvent = "firing" | "reminder" | "resolved" | "test" | "digest" | "report";

/** A notice to queue. `groupKey` (channel|event) lets the worker fold it into another. */
export interface NewNotice {
  alertId: number | null;
  event: NotificationEvent;
  channel: string;
  messageId: string;
  payloadJson: string;
  createdAt: number;
  nextAttemptAt: number;
  groupKey: string | null;
}

/** A row due for delivery, as the worker sends it. */
export interface DueNotice {
  id: number;
  channel: string;
  messageId: string;
  payloadJson: string;
  attempts: number;
}

/** A queued notice that may carry others of its group (see the worker's sealGroups). */
export interface GroupedNotice {
  id: number;
  groupKey: string;
  payloadJson: string;
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

/** One delivery attempt of one outbox message. */
export interface DeliveryAttempt {
  outboxId: number;
  channel: string;
  at: number;
  durationMs: number;
  ok: boolean;
  error: string | null;
}

/** How many undelivered notices a channel holds. */
export interface ChannelCount {
  channel: string;
  n: number;
}

const NOTICE_COLUMNS = `id, alert_id AS alertId, event, channel, message_id AS messageId, created_at AS createdAt, attempts,
  next_attempt_at AS nextAttemptAt, last_error AS lastError, sent_at AS sentAt, merged_into AS mergedInto`;
const ATTEMPT_COLUMNS = "outbox_id AS outboxId, channel, at, duration_ms AS durationMs, ok, error";
/** Not yet accepted by the peer and not folded into another notice. */
const UNSENT = "sent_at IS NULL AND merged_into IS NULL";

type AttemptRow = Omit<DeliveryAttempt, "ok"> & { ok: number };

const statements = statementsFor((db) => ({
  insert: db.prepare<[NewNotice]>(
    `INSERT INTO outbox (alert_id, event, channel, message_id, payload_json, created_at, next_attempt_at, group_key)
     VALUES (@alertId, @event, @channel, @messageId, @payloadJson, @createdAt, @nextAttemptAt, @groupKey)`,
  ),
  carried: db.prepare<[string, number], number>(
    `SELECT 1 FROM outbox o, json_each(o.payload_json, '$.items') j
     WHERE o.channel = ? AND o.event IN ('firing', 'reminder') AND json_extract(j.value, '$.alertId') = ? LIMIT 1`,
  ).pluck(),
  groupHeads: db.prepare<[number], GroupedNotice>(
    `SELECT id, group_key AS groupKey, payload_json AS payloadJson FROM outbox
     WHERE group_key IS NOT NULL AND ${UNSENT} AND attempts = 0 AND next_attempt_at <= ? ORDER BY id`,
  ),
  groupOthers: db.prepare<[string, number], { id: number; payloadJson: string }>(
    `SELECT id, payload_json AS payloadJson FROM outbox WHERE group_key = ? AND ${UNSENT} AND attempts = 0 AND id != ? ORDER BY id`,
  ),
  ungroup: db.prepare<[number]>("UPDATE outbox SET group_key = NULL WHERE id = ?"),
  merge: db.prepare<[number, number]>("UPDATE outbox SET merged_into = ?, group_key = NULL WHERE id = ?"),
  seal: db.prepare<[string, number | null, number]>("UPDATE outbox SET payload_json = ?, alert_id = ?, group_key = NULL WHERE id = ?"),
  nextAttempt: db.prepare<[], number | null>(`SELECT min(next_attempt_at) FROM outbox WHERE ${UNSENT}`).pluck(),
  due: db.prepare<[number], DueNotice>(
    `SELECT id, channel, message_id AS messageId, payload_json AS payloadJson, attempts FROM outbox
     WHERE ${UNSENT} AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 500`,
  ),
  sent: db.prepare<[number, number]>("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND sent_at IS NULL"),
  sentWith: db.prepare<[number, number]>("UPDATE outbox SET sent_at = ? WHERE merged_into = ? AND sent_at IS NULL"),
  failed: db.prepare<[number, string, number, number]>("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND sent_at IS NULL"),
  addReport: db.prepare<[string, string, number]>("UPDATE outbox SET payload_json = json_set(payload_json, '$.digest', json(?), '$.report', json(?)) WHERE id = ?"),
  notices: db.prepare<[number], NoticeView>(`SELECT ${NOTICE_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?`),
  pendingNotices: db.prepare<[number], NoticeView>(`SELECT ${NOTICE_COLUMNS} FROM outbox WHERE ${UNSENT} ORDER BY id DESC LIMIT ?`),
  pendingByChannel: db.prepare<[], ChannelCount>(`SELECT channel, count(*) AS n FROM outbox WHERE ${UNSENT} GROUP BY channel`),
  failingByChannel: db.prepare<[], ChannelCount>(`SELECT channel, count(*) AS n FROM outbox WHERE ${UNSENT} AND attempts > 0 GROUP BY channel`),
  oldestPending: db.prepare<[], number | null>(`SELECT min(created_at) FROM outbox WHERE ${UNSENT}`).pluck(),

  attempt: db.prepare<[number, string, number, number, number, string | null]>(
    "INSERT INTO delivery_attempts (outbox_id, channel, at, duration_ms, ok, error) VALUES (?, ?, ?, ?, ?, ?)",
  ),
  attempts: db.prepare<[number], AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM delivery_attempts ORDER BY id DESC LIMIT ?`),
  attemptsOf: db.prepare<[number, number], AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM delivery_attempts WHERE outbox_id = ? ORDER BY id DESC LIMIT ?`),

  getState: db.prepare<[string], { value: string; at: number }>("SELECT value, at FROM alerting_state WHERE key = ?"),
  setState: db.prepare<[string, string, number]>(
    "INSERT INTO alerting_state (key, value, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, at = excluded.at",
  ),
  deleteState: db.prepare<[string]>("DELETE FROM alerting_state WHERE key = ?"),
}));

// --- outbox

/** Queues a notice; returns its outbox id. */
export function insertNotice(db: Db, n: NewNotice): number {
  return Number(statements(db).insert.run(n).lastInsertRowid);
}

/** Whether a firing or reminder notice for `channel` ever carried the alert. */
export function channelCarriedAlert(db: Db, channel: string, alertId: number): boolean {
  return statements(db).carried.get(channel, alertId) !== undefined;
}

/** Due, never-attempted notices that still carry a group key, in the order written. */
export function groupHeads(db: Db, now: number): GroupedNotice[] {
  return statements(db).groupHeads.all(now);
}

/** The other never-attempted, unsent notices of a group, in the order written. */
export function groupMembers(db: Db, groupKey: string, headId: number): { id: number; payloadJson: string }[] {
  return statements(db).groupOthers.all(groupKey, headId);
}

/** Takes a notice out of grouping (it goes alone). */
export function ungroupNotice(db: Db, id: number): void {
  statements(db).ungroup.run(id);
}

/** Marks a notice as carried by `carrierId`: it is never sent itself. */
export function mergeNotice(db: Db, id: number, carrierId: number): void {
  statements(db).merge.run(carrierId, id);
}

/** Seals a group's carrier with the merged payload (and its alert when it carries one item). */
export function sealNotice(db: Db, id: number, payloadJson: string, alertId: number | null): void {
  statements(db).seal.run(payloadJson, alertId, id);
}

/** When the next undelivered notice is due; null when none waits. */
export function nextAttemptAt(db: Db): number | null {
  return statements(db).nextAttempt.get() ?? null;
}

/** Undelivered notices due at `now`, the most overdue first (at most 500). */
export function dueNotices(db: Db, now: number): DueNotice[] {
  return statements(db).due.all(now);
}

/** The peer accepted the notice at `at`: it and every notice folded into it are sent. */
export function markNoticeSent(db: Db, id: number, at: number): void {
  const s = statements(db);
  s.sent.run(at, id);
  s.sentWith.run(at, id);
}

/** A delivery failed: records the error and when to try again. */
export function markNoticeFailed(db: Db, id: number, f: { attempts: number; error: string; nextAttemptAt: number }): void {
  statements(db).failed.run(f.attempts, f.error, f.nextAttemptAt, id);
}

/** Adds the monthly report's digest and announcement to a queued `report` notice (same transaction). */
export function attachReportToOutbox(db: Db, id: number, digest: unknown, report: unknown): void {
  statements(db).addReport.run(JSON.stringify(digest), JSON.stringify(report), id);
}

/** Recent notices, newest first; `pending` keeps only those not yet accepted by their peer. */
export function recentNotices(db: Db, q: { pending: boolean; limit: number }): NoticeView[] {
  const s = statements(db);
  return (q.pending ? s.pendingNotices : s.notices).all(q.limit);
}

/** Undelivered notices by channel. */
export function pendingNoticesByChannel(db: Db): ChannelCount[] {
  return statements(db).pendingByChannel.all();
}

/** Undelivered notices that failed at least once, by channel. */
export function failingNoticesByChannel(db: Db): ChannelCount[] {
  return statements(db).failingByChannel.all();
}

/** When the oldest undelivered notice was written; null when none waits. */
export function oldestPendingNoticeAt(db: Db): number | null {
  return statements(db).oldestPending.get() ?? null;
}

// --- delivery_attempts

/** Records one delivery attempt (`error` null = accepted). */
export function recordDeliveryAttempt(db: Db, a: Omit<DeliveryAttempt, "ok">): void {
  statements(db).attempt.run(a.outboxId, a.channel, a.at, a.durationMs, a.error === null ? 1 : 0, a.error);
}

/** Delivery attempts, newest first, of one notice or of all. */
export function deliveryAttempts(db: Db, q: { outboxId?: number; limit: number }): DeliveryAttempt[] {
  const s = statements(db);
  const rows = q.outboxId !== undefined ? s.attemptsOf.all(q.outboxId, q.limit) : s.attempts.all(q.limit);
  return rows.map((r) => ({ ...r, ok: r.ok === 1 }));
}

// --- alerting_state

/** A periodic job's remembered value and when it was written. */
export function readAlertingState(db: Db, key: string): { value: string; at: number } | undefined {
  return statements(db).getState.get(key);
}

/** Remembers a periodic job's value (replacing the previous one). */
export function writeAlertingState(db: Db, key: string, value: string, at: number): void {
  statements(db).setState.run(key, value, at);
}

/** Forgets a periodic job's value. */
export function clearAlertingState(db: Db, key: string): void {
  statements(db).deleteState.run(key);
}
