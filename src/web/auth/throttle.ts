/**
 * Login throttling per account and per address: growing delays after the third failure (1 s,
 * 2 s, 4 s … capped at 30 s) and at most 100 failures an hour. Nothing is permanent: a window
 * slides, so an attacker can slow a victim's account down but never lock it for good.
 */
import type { Db } from "../../agent/store/db.js";

export const WINDOW_MS = 3_600_000;
export const MAX_FAILURES_PER_HOUR = 100;
const FREE_FAILURES = 2;
const MAX_DELAY_MS = 30_000;

/** Delay required after `n` failures in the window. */
export function delayAfter(n: number): number {
  if (n <= FREE_FAILURES) return 0;
  return Math.min(1000 * 2 ** (n - FREE_FAILURES - 1), MAX_DELAY_MS);
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; reason: "hourly_limit" | "delay" };

interface Stat {
  n: number;
  last: number | null;
  oldest: number | null;
}

function stat(db: Db, column: "account" | "address", value: string, since: number): Stat {
  return db.prepare(`SELECT count(*) AS n, max(at) AS last, min(at) AS oldest FROM auth_failures WHERE ${column} = ? AND at > ?`).get(value, since) as Stat;
}

/** May a login for `account` from `address` be tried at `now`? Checked before any password work. */
export function checkThrottle(db: Db, account: string, address: string, now: number): ThrottleVerdict {
  const since = now - WINDOW_MS;
  let worst: ThrottleVerdict = { allowed: true };
  for (const s of [stat(db, "account", account, since), stat(db, "address", address, since)]) {
    if (s.n >= MAX_FAILURES_PER_HOUR) {
      const retry = (s.oldest ?? now) + WINDOW_MS - now + 1;
      if (worst.allowed || retry > worst.retryAfterMs) worst = { allowed: false, retryAfterMs: retry, reason: "hourly_limit" };
      continue;
    }
    const wait = (s.last ?? 0) + delayAfter(s.n) - now;
    if (wait > 0 && (worst.allowed || (worst.reason === "delay" && wait > worst.retryAfterMs))) worst = { allowed: false, retryAfterMs: wait, reason: "delay" };
  }
  return worst;
}

/** Records one failed attempt (account name as typed, lower-cased; never the password). */
export function recordFailure(db: Db, account: string, address: string, now: number): void {
  db.prepare("INSERT INTO auth_failures (at, account, address) VALUES (?, ?, ?)").run(now, account, address);
}

/** Drops failures older than the window (housekeeping). */
export function pruneFailures(db: Db, now: number): number {
  return db.prepare("DELETE FROM auth_failures WHERE at <= ?").run(now - WINDOW_MS).changes;
}
