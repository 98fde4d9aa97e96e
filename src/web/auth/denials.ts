/**
 * `access.denied` records that a signed-in user cannot turn into a flood of the append-only audit
 * log: at most one row a minute per user, carrying how many refusals it stands for and a few of
 * the refused targets (each cut to 200 characters); refusals in between are counted, not lost, and
 * written by the next row or by `flushDenials` (housekeeping).
 */
import { appendAudit } from "../../agent/audit.js";
import type { Db } from "../../agent/store/db.js";
import { redactPath } from "../security.js";

export const DENIAL_EVERY_MS = 60_000;
const SAMPLE_TARGETS = 5;
const MAX_TRACKED_USERS = 10_000;

interface Pending {
  lastWritten: number;
  count: number;
  first: number;
  targets: Set<string>;
  detail: { role: string; required: string };
  address: string;
}

const state = new WeakMap<Db, Map<string, Pending>>();

export interface Denial {
  at: number;
  actor: string;
  method: string;
  path: string;
  address: string;
  role: string;
  required: string;
}

/** Records a refused request: a row now, or counted into the next row when one was written this minute. */
export function recordDenial(db: Db, d: Denial): void {
  let seen = state.get(db);
  if (!seen) state.set(db, (seen = new Map()));
  const target = `${d.method} ${redactPath(d.path)}`;
  const p = seen.get(d.actor);
  if (p && d.at >= p.lastWritten && d.at - p.lastWritten < DENIAL_EVERY_MS) {
    if (p.count === 0) p.first = d.at;
    p.count++;
    if (p.targets.size < SAMPLE_TARGETS) p.targets.add(target);
    p.detail = { role: d.role, required: d.required };
    p.address = d.address;
    return;
  }
  const merged = p && p.count > 0 ? { merged_before: p.count, merged_since: new Date(p.first).toISOString(), merged_targets: [...p.targets] } : {};
  appendAudit(db, { at: d.at, actor: d.actor, action: "access.denied", target, address: d.address, detail: { role: d.role, required: d.required, ...merged } });
  if (!p && seen.size >= MAX_TRACKED_USERS) flushDenials(db, Number.POSITIVE_INFINITY);
  seen.set(d.actor, { lastWritten: d.at, count: 0, first: 0, targets: new Set(), detail: { role: d.role, required: d.required }, address: d.address });
}

/** Writes one summary row for each user whose counted refusals are older than a minute (housekeeping). */
export function flushDenials(db: Db, now: number): number {
  const seen = state.get(db);
  if (!seen) return 0;
  let written = 0;
  for (const [actor, p] of seen) {
    if (now - p.lastWritten < DENIAL_EVERY_MS) continue;
    if (p.count > 0) {
      appendAudit(db, {
        at: Number.isFinite(now) ? now : Date.now(),
        actor,
        action: "access.denied",
        target: [...p.targets][0] ?? "",
        address: p.address,
        detail: { ...p.detail, merged_before: p.count, merged_since: new Date(p.first).toISOString(), merged_targets: [...p.targets] },
      });
      written++;
    }
    seen.delete(actor);
  }
  return written;
}
