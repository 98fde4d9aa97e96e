/**
 * Login throttling, aimed at where the failures come from. A failure counts against the pair
 * (account, address), the address, and the account:
 * - the pair and the address: two free failures, then 1 s, 2 s, 4 s … (max 30 s) must pass
 *   before the next try, and at most 100 failures an hour;
 * - the account alone: no delay (a delay there would let anyone who knows a user name keep its
 *   owner out), only a ceiling of 1,000 failures an hour from all addresses together against
 *   distributed guessing. Past it only an attempt carrying a valid recovery code is let through.
 * Nothing is permanent: the hour slides.
 */
import { isIPv4, isIPv6 } from "node:net";
import { accountFailures, addressFailures, insertFailure, pairFailures, pruneFailuresBefore, type FailureStat } from "../../agent/store/auth-failures.js";
import type { Db } from "../../agent/store/db.js";

export const WINDOW_MS = 3_600_000;
/** Failures an hour from one address (any accounts), or for one account from one address. */
export const MAX_FAILURES_PER_HOUR = 100;
/** Failures an hour for one account from all addresses together. */
export const MAX_ACCOUNT_FAILURES_PER_HOUR = 1_000;
/** Failures without a delay before the next try (README: "after the second failure"). */
export const FREE_FAILURES = 2;
const MAX_DELAY_MS = 30_000;

/** Delay required before the next try after `n` failures in the window. */
export function delayAfter(n: number): number {
  if (n < FREE_FAILURES) return 0;
  return Math.min(1000 * 2 ** (n - FREE_FAILURES), MAX_DELAY_MS);
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; reason: "hourly_limit" | "delay" | "account_limit" };

/** The later of two refusals (an allowed verdict never wins). */
function worse(a: ThrottleVerdict, b: ThrottleVerdict): ThrottleVerdict {
  if (a.allowed) return b;
  if (b.allowed) return a;
  return b.retryAfterMs > a.retryAfterMs ? b : a;
}

/** The verdict of one counter: its hourly limit, then the delay its failures require. */
function judge(s: FailureStat, now: number, limit: number, delays: boolean, reason: "hourly_limit" | "account_limit"): ThrottleVerdict {
  if (s.n >= limit) return { allowed: false, retryAfterMs: (s.oldest ?? now) + WINDOW_MS - now + 1, reason };
  if (!delays) return { allowed: true };
  const wait = (s.last ?? 0) + delayAfter(s.n) - now;
  return wait > 0 ? { allowed: false, retryAfterMs: wait, reason: "delay" } : { allowed: true };
}

/**
 * May a login for `account` from `address` be tried at `now`? Checked before any password work.
 * `recoveryCode` says the attempt carries a valid unused recovery code: it passes the account's
 * ceiling (an attacker cannot have one), never the address's limits.
 */
export function checkThrottle(db: Db, account: string, address: string, now: number, opts: { recoveryCode?: boolean } = {}): ThrottleVerdict {
  const since = now - WINDOW_MS;
  let v = judge(pairFailures(db, account, address, since), now, MAX_FAILURES_PER_HOUR, true, "hourly_limit");
  v = worse(v, judge(addressFailures(db, address, since), now, MAX_FAILURES_PER_HOUR, true, "hourly_limit"));
  if (!opts.recoveryCode) v = worse(v, judge(accountFailures(db, account, since), now, MAX_ACCOUNT_FAILURES_PER_HOUR, false, "account_limit"));
  return v;
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 tail included), or undefined. */
function hextets(address: string): number[] | undefined {
  let s = address;
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    const p = v4[1]!.split(".").map(Number);
    s = `${s.slice(0, -v4[1]!.length)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = [...h, ...Array<string>(tail === undefined ? 0 : 8 - h.length - t.length).fill("0"), ...t].map((x) => parseInt(x, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * The address a failure is counted against. One IPv6 /64 is one address: a single subscriber is
 * routinely given a whole /64, so counting each of its 2^64 addresses apart would make the
 * per-address limit meaningless. An IPv4-mapped IPv6 address (a dual-stack socket) is its IPv4.
 */
export function throttleAddress(address: string): string {
  const a = address.trim().toLowerCase().replace(/%.*$/, "");
  if (isIPv4(a) || !isIPv6(a)) return a;
  const g = hextets(a);
  if (!g) return a;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join(".");
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}

/** Records one failed attempt (account key and throttling address; never the password). */
export function recordFailure(db: Db, account: string, address: string, now: number): void {
  insertFailure(db, account, address, now);
}

/** Drops failures older than the window (housekeeping). */
export function pruneFailures(db: Db, now: number): number {
  return pruneFailuresBefore(db, now - WINDOW_MS);
}
