/**
 * Failed sign-ins, counted for throttling (src/web/auth/throttle.ts decides what the counts mean).
 * The account is a keyed hash of the typed name and the address the throttling address; never a
 * password.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** Failures in a window: how many, the latest and the oldest (null when none). */
export interface FailureStat {
  n: number;
  last: number | null;
  oldest: number | null;
}

const statements = statementsFor((db) => ({
  account: db.prepare<[string, number], FailureStat>("SELECT count(*) AS n, max(at) AS last, min(at) AS oldest FROM auth_failures WHERE account = ? AND at > ?"),
  address: db.prepare<[string, number], FailureStat>("SELECT count(*) AS n, max(at) AS last, min(at) AS oldest FROM auth_failures WHERE address = ? AND at > ?"),
  pair: db.prepare<[string, string, number], FailureStat>("SELECT count(*) AS n, max(at) AS last, min(at) AS oldest FROM auth_failures WHERE account = ? AND address = ? AND at > ?"),
  insert: db.prepare<[number, string, string]>("INSERT INTO auth_failures (at, account, address) VALUES (?, ?, ?)"),
  forgive: db.prepare<[string, string]>("DELETE FROM auth_failures WHERE account = ? AND address = ?"),
  prune: db.prepare<[number]>("DELETE FROM auth_failures WHERE at <= ?"),
}));

/** Failures against one account (all addresses) after `since`. */
export function accountFailures(db: Db, account: string, since: number): FailureStat {
  return statements(db).account.get(account, since)!;
}

/** Failures from one address (all accounts) after `since`. */
export function addressFailures(db: Db, address: string, since: number): FailureStat {
  return statements(db).address.get(address, since)!;
}

/** Failures against one account from one address after `since`. */
export function pairFailures(db: Db, account: string, address: string, since: number): FailureStat {
  return statements(db).pair.get(account, address, since)!;
}

/** Records one failed attempt. */
export function insertFailure(db: Db, account: string, address: string, at: number): void {
  statements(db).insert.run(at, account, address);
}

/** Forgets an account's failures from one address (it signed in from there). */
export function forgiveFailures(db: Db, account: string, address: string): void {
  statements(db).forgive.run(account, address);
}

/** Drops failures at or before `before`; returns how many. */
export function pruneFailuresBefore(db: Db, before: number): number {
  return statements(db).prune.run(before).changes;
}
