/**
 * Prefill for the quarterly access review: what the accounts monitor last saw (human accounts,
 * admins, sudo users, UID 0) and the console's users with their roles, as text the reviewer
 * confirms, plus what changed since the previous review's snapshot.
 */
import type { Db } from "../store/db.js";
import { latestObservation } from "../store/observations.js";
import { usersWithRoles } from "../store/users.js";
import { listRegister } from "./registers.js";

export interface AccessReviewPrefill {
  /** Text for the register's `accounts` field, one "section: items" line each. */
  accounts: string;
  /** Lines added and removed since the last review's `accounts` text (for `changes`). */
  changes: string;
  /** When the accounts monitor observed it (unix ms), if it ever ran. */
  observedAt?: number;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Builds the prefill; works (with the console users only) when the accounts monitor never ran. */
export function accessReviewPrefill(db: Db): AccessReviewPrefill {
  const lines: string[] = [];
  const o = latestObservation(db, "accounts");
  if (o && o.outcome === "ok") {
    const f = o.facts;
    lines.push(`system accounts (human): ${list(f["accounts.humans"]).join(", ") || "(none)"}`);
    lines.push(`system admins: ${list(f["accounts.admins"]).join(", ") || "(none)"}`);
    lines.push(`sudo users: ${list(f["accounts.sudo_users"]).join(", ") || "(none)"}`);
    lines.push(`uid 0: ${list(f["accounts.uid0"]).join(", ") || "(none)"}`);
  } else lines.push("system accounts: the accounts monitor has no current observation; review /etc/passwd and sudoers by hand");
  const users = usersWithRoles(db);
  lines.push(`console users: ${users.map((u) => `${u.username} (${u.role}${u.disabled_at ? ", disabled" : ""})`).join(", ") || "(none)"}`);
  const accounts = lines.join("\n");
  const previous = listRegister(db, "access_review").at(-1);
  let changes = "";
  if (previous && typeof previous.accounts === "string" && previous.accounts) {
    const before = new Set(previous.accounts.split("\n"));
    const after = new Set(lines);
    const added = lines.filter((l) => !before.has(l)).map((l) => `now: ${l}`);
    const removed = [...before].filter((l) => !after.has(l)).map((l) => `was: ${l}`);
    changes = [...removed, ...added].join("\n") || `no change since the review of ${String(previous.reviewed_on)}`;
  }
  return { accounts, changes, ...(o ? { observedAt: o.startedAt } : {}) };
}
