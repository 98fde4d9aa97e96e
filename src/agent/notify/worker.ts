/**
 * The delivery worker: seals groups, takes due outbox rows, hands each to its channel, and marks
 * it sent only when the peer accepted it. Every attempt is kept (delivery_attempts) for the
 * console. Failures are retried with exponential backoff. One slow or silent peer never blocks
 * the others: sends run concurrently, each with its own deadline, and a new pass does not wait
 * for sends still in flight.
 */
import type { Notification, NotificationItem } from "../alerts/notification.js";
import type { Db } from "../store/db.js";
import {
  dueNotices,
  groupHeads,
  groupMembers,
  markNoticeFailed,
  markNoticeSent,
  mergeNotice,
  nextAttemptAt,
  recordDeliveryAttempt,
  sealNotice,
  ungroupNotice,
  type DueNotice,
} from "../store/outbox.js";
import type { Logger } from "../../kit/log.js";
import type { Channel } from "./channel.js";

/** Channels, logger, limits and clock of the worker. */
export interface WorkerOptions {
  channels: readonly Channel[];
  log: Logger;
  /** Longest a single send may take before it counts as failed (ms). */
  sendTimeoutMs?: number;
  /** Longest idle wait between passes (ms); `kick()` wakes the worker at once. */
  pollMs?: number;
  /** Sends in flight per channel, so 50 queued alerts do not open 50 SMTP sessions. */
  perChannel?: number;
  now?: () => number;
  random?: () => number;
}

/** Backoff after the n-th failed attempt: 15 s, 30 s, 1 min … capped at 30 min, with jitter. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(15_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Merges items of several notices: one entry per alert (the latest wins), order of first sight. */
export function mergeItems(lists: readonly NotificationItem[][]): NotificationItem[] {
  const byKey = new Map<string, NotificationItem>();
  let anon = 0;
  for (const list of lists) for (const i of list) byKey.set(i.alertId === null ? `anon:${anon++}` : `alert:${i.alertId}`, i);
  return [...byKey.values()];
}

/** Parses a stored notice; undefined when the row is damaged (it must not stop the others). */
function parsePayload(text: string): Notification | undefined {
  try {
    const n = JSON.parse(text) as Notification;
    return n && typeof n === "object" && Array.isArray(n.items) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Grouping: for every due, never-attempted row that still has a group key, folds all other
 * pending rows with the same key (same channel and event) into it and seals it, in one
 * transaction. Rows written before the carrier join it too: a critical notice, due at once,
 * takes the warnings still waiting with it rather than leaving them to a second message. The merged rows point at the carrier (merged_into) and are never sent.
 * Returns how many rows were folded away.
 */
export function sealGroups(db: Db, now: number): number {
  return db.transaction(() => {
    let folded = 0;
    const sealedKeys = new Set<string>();
    for (const head of groupHeads(db, now)) {
      if (sealedKeys.has(head.groupKey)) continue;
      const n = parsePayload(head.payloadJson);
      if (!n) {
        // A damaged row goes to delivery alone, where its failure is recorded for the console.
        ungroupNotice(db, head.id);
        continue;
      }
      sealedKeys.add(head.groupKey);
      const others = groupMembers(db, head.groupKey, head.id).flatMap((o) => {
        const on = parsePayload(o.payloadJson);
        return on ? [{ id: o.id, items: on.items }] : [];
      });
      if (others.length > 0) {
        n.items = mergeItems([n.items, ...others.map((o) => o.items)]);
        for (const o of others) mergeNotice(db, o.id, head.id);
        folded += others.length;
      }
      sealNotice(db, head.id, JSON.stringify(n), n.items.length === 1 ? n.items[0]!.alertId : null);
    }
    return folded;
  })();
}

/** Delivers the outbox; `start()` in the daemon, `drain()` in tests and one-shot commands. */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly perChannelBusy = new Map<string, number>();
  private readonly byName: Map<string, Channel>;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly opts: WorkerOptions,
  ) {
    this.byName = new Map(opts.channels.map((c) => [c.name, c]));
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Wakes the worker now (called after a notification was enqueued). */
  kick(): void {
    if (this.stopped || !this.db.open) return;
    clearTimeout(this.timer);
    try {
      this.pass();
    } catch (e) {
      this.opts.log.error({ err: String(e) }, "delivery worker pass failed");
    }
    this.timer = setTimeout(() => this.kick(), this.idleDelay());
    this.timer.unref?.();
  }

  private idleDelay(): number {
    const poll = this.opts.pollMs ?? 5000;
    const next = nextAttemptAt(this.db);
    if (next === null) return poll;
    return Math.max(10, Math.min(poll, next - this.now()));
  }

  /** Starts sends for due rows not already in flight; returns how many it started. */
  private pass(): number {
    sealGroups(this.db, this.now());
    const due = dueNotices(this.db, this.now());
    let started = 0;
    const cap = this.opts.perChannel ?? 4;
    for (const row of due) {
      if (this.inflight.has(row.id)) continue;
      const busy = this.perChannelBusy.get(row.channel) ?? 0;
      if (busy >= cap) continue;
      this.perChannelBusy.set(row.channel, busy + 1);
      const p = this.deliver(row).finally(() => {
        this.inflight.delete(row.id);
        this.perChannelBusy.set(row.channel, (this.perChannelBusy.get(row.channel) ?? 1) - 1);
        // A freed slot may let a waiting row of the same channel go now.
        if (!this.stopped) queueMicrotask(() => this.kick());
      });
      this.inflight.set(row.id, p);
      started++;
    }
    return started;
  }

  /** Sends everything due now, including what frees up as sends finish; resolves when idle. */
  async drain(): Promise<void> {
    for (;;) {
      const started = this.pass();
      if (started === 0 && this.inflight.size === 0) return;
      await Promise.all([...this.inflight.values()]);
      if (started === 0) continue;
    }
  }

  private async deliver(row: DueNotice): Promise<void> {
    const channel = this.byName.get(row.channel);
    const t0 = this.now();
    if (!channel) {
      this.fail(row, t0, `channel "${row.channel}" is not configured any more`);
      return;
    }
    const ac = new AbortController();
    const limit = this.opts.sendTimeoutMs ?? 120_000;
    const timeout = setTimeout(() => ac.abort(), limit);
    const notification = parsePayload(row.payloadJson);
    if (!notification) {
      clearTimeout(timeout);
      this.fail(row, t0, "the stored notice is damaged (not valid JSON); it cannot be sent");
      return;
    }
    try {
      await Promise.race([
        channel.send({ id: row.id, messageId: row.messageId, notification }, ac.signal),
        new Promise<never>((_, reject) => ac.signal.addEventListener("abort", () => reject(new Error(`send timed out after ${Math.round(limit / 1000)} s`)), { once: true })),
      ]);
      if (!this.db.open) return;
      const at = this.now();
      this.db.transaction(() => {
        // Rows folded into this message were delivered with it.
        markNoticeSent(this.db, row.id, at);
        this.recordAttempt(row, t0, at, null);
      })();
    } catch (e) {
      this.fail(row, t0, (e as Error).message);
    } finally {
      clearTimeout(timeout);
    }
  }

  private recordAttempt(row: DueNotice, t0: number, at: number, error: string | null): void {
    recordDeliveryAttempt(this.db, { outboxId: row.id, channel: row.channel, at, durationMs: Math.max(0, at - t0), error });
  }

  private fail(row: DueNotice, t0: number, error: string): void {
    if (!this.db.open) return;
    const attempts = row.attempts + 1;
    const at = this.now();
    const msg = error.slice(0, 500);
    this.db.transaction(() => {
      markNoticeFailed(this.db, row.id, { attempts, error: msg, nextAttemptAt: at + backoffMs(attempts, this.opts.random) });
      this.recordAttempt(row, t0, at, msg);
    })();
    this.opts.log.warn({ outbox: row.id, channel: row.channel, attempts, error: msg }, "delivery failed; will retry");
  }

  /** Stops polling and waits for the sends in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.inflight.values()]);
    for (const c of this.opts.channels) c.close?.();
  }
}
