/**
 * Heartbeat (dead man's switch): an outbound GET or POST to a push monitor (Uptime Kuma push,
 * healthchecks.io) every `every`. Not queued: a late heartbeat is worthless, the next one
 * replaces it. The outcome of the last ping is kept for the console.
 */
import type { HeartbeatConfig } from "../alerts/config.js";
import type { Db } from "../store/db.js";
import { readAlertingState, writeAlertingState } from "../store/outbox.js";
import { DeliveryError } from "./channel.js";
import { resolveUrl } from "./secret.js";

/** The outcome of one ping. */
export interface HeartbeatResult {
  at: number;
  ok: boolean;
  status?: number;
  error?: string;
}

/** Sends one ping; never throws. 2xx is success. The URL is never echoed (it holds a token). */
export async function pingHeartbeat(c: HeartbeatConfig, opts: { now: number; signal?: AbortSignal; userAgent?: string }): Promise<HeartbeatResult> {
  const timeout = AbortSignal.timeout(c.timeout);
  try {
    const url = resolveUrl(c, "heartbeat");
    const res = await fetch(url, {
      method: c.method,
      redirect: "follow",
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      headers: { "user-agent": opts.userAgent ?? "gatehouse" },
      ...(c.method === "POST" ? { body: JSON.stringify({ status: "up", at: new Date(opts.now).toISOString() }), headers: { "content-type": "application/json", "user-agent": opts.userAgent ?? "gatehouse" } } : {}),
    });
    await res.body?.cancel().catch(() => undefined);
    return res.ok ? { at: opts.now, ok: true, status: res.status } : { at: opts.now, ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (e) {
    if (e instanceof DeliveryError) return { at: opts.now, ok: false, error: e.message };
    if (timeout.aborted) return { at: opts.now, ok: false, error: `no answer within ${Math.round(c.timeout / 1000)} s` };
    return { at: opts.now, ok: false, error: (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name };
  }
}

const KEY = "heartbeat.last";

/** The last recorded ping, if any. */
export function lastHeartbeat(db: Db): HeartbeatResult | undefined {
  const r = readAlertingState(db, KEY);
  if (!r) return undefined;
  try {
    return JSON.parse(r.value) as HeartbeatResult;
  } catch {
    return undefined; // a damaged record only means "ping now"
  }
}

/**
 * Pings when `every` has passed since the last attempt (call it every minute); records the
 * result. Returns the result, or undefined when not due.
 */
export async function heartbeatTick(db: Db, c: HeartbeatConfig, now: number, signal?: AbortSignal): Promise<HeartbeatResult | undefined> {
  const last = lastHeartbeat(db);
  // A little slack so a once-a-minute tick with jitter does not skip every other slot.
  if (last && now - last.at < c.every - 5_000) return undefined;
  const r = await pingHeartbeat(c, { now, ...(signal ? { signal } : {}) });
  if (db.open) {
    writeAlertingState(db, KEY, JSON.stringify(r), now);
  }
  return r;
}
