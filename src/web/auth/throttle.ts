/**
 * Login throttling per account and per address: growing delays after the third failure (1 s,
 * 2 s, 4 s … capped at 30 s) and at most 100 failures an hour. Nothing is permanent: a window
 * slides, so an attacker can slow a victim's account down but never lock it for good.
 */
import { isIPv4, isIPv6 } from "node:net";
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
  db.prepare("INSERT INTO auth_failures (at, account, address) VALUES (?, ?, ?)").run(now, account, address);
}

/** Drops failures older than the window (housekeeping). */
export function pruneFailures(db: Db, now: number): number {
  return db.prepare("DELETE FROM auth_failures WHERE at <= ?").run(now - WINDOW_MS).changes;
}
