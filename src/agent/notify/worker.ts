/**
 * The delivery worker: takes due outbox rows, hands each to its channel, and marks it sent only
 * when the peer accepted it. Failures are retried with exponential backoff and kept for the
 * console. One slow channel never blocks the others: each message has its own deadline.
 */
import type { Notification } from "../alerts/notification.js";
import type { Db } from "../store/db.js";
import type { Logger } from "../../monitors/monitor.js";
import type { Channel } from "./channel.js";

export interface WorkerOptions {
  channels: readonly Channel[];
  log: Logger;
  /** Longest a single send may take before it counts as failed (ms). */
  sendTimeoutMs?: number;
  /** Poll interval when idle (ms); `kick()` wakes the worker at once. */
  pollMs?: number;
  now?: () => number;
}

interface OutboxRow {
  id: number;
  channel: string;
  message_id: string;
  payload_json: string;
  attempts: number;
}

/** Backoff after the n-th failed attempt: 15 s, 30 s, 1 min … capped at 30 min, with jitter. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(15_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;
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
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.drain()
      .catch((e) => this.opts.log.error({ err: String(e) }, "delivery worker failed"))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.timer = setTimeout(() => this.kick(), this.opts.pollMs ?? 5000);
      });
  }

  /** Sends everything due now; resolves when this pass is done. */
  async drain(): Promise<void> {
    const due = this.db
      .prepare("SELECT id, channel, message_id, payload_json, attempts FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT 100")
      .all(this.now()) as OutboxRow[];
    await Promise.all(due.map((row) => this.deliver(row)));
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const channel = this.byName.get(row.channel);
    if (!channel) {
      this.fail(row, `channel "${row.channel}" is not configured any more`);
      return;
    }
    const ac = new AbortController();
    const timeout = setTimeout(() => ac.abort(), this.opts.sendTimeoutMs ?? 120_000);
    try {
      await Promise.race([
        channel.send({ id: row.id, messageId: row.message_id, notification: JSON.parse(row.payload_json) as Notification }, ac.signal),
        new Promise<never>((_, reject) => ac.signal.addEventListener("abort", () => reject(new Error("send timed out")), { once: true })),
      ]);
      if (this.stopped && !this.db.open) return;
      this.db.prepare("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(this.now(), row.id);
    } catch (e) {
      this.fail(row, (e as Error).message);
    } finally {
      clearTimeout(timeout);
    }
  }

  private fail(row: OutboxRow, error: string): void {
    if (!this.db.open) return;
    const attempts = row.attempts + 1;
    this.db
      .prepare("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?")
      .run(attempts, error.slice(0, 500), this.now() + backoffMs(attempts), row.id);
    this.opts.log.warn({ outbox: row.id, channel: row.channel, attempts, error }, "delivery failed; will retry");
  }

  /** Stops polling and waits for the pass in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const c of this.opts.channels) c.close?.();
  }
}
