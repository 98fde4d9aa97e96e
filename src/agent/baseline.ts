/**
 * Approving a baseline: keep the monitor's baseline-tracked facts as observed now, with who
 * and why, audited in the same transaction. Shared by the CLI and the console.
 */
import type { Facts, Monitor } from "../monitors/monitor.js";
import { appendAudit } from "./audit.js";
import type { Db } from "./store/db.js";
import { getBaseline, putBaseline } from "./store/baselines.js";

/** Stores the baseline and its audit entry; returns the facts approved. */
export function approveBaseline(db: Db, monitor: Monitor<any>, observed: Facts, by: { actor: string; reason: string; address?: string; now?: number }): Facts {
  const facts: Facts = {};
  for (const key of monitor.baselineFacts) if (key in observed) facts[key] = observed[key]!;
  const at = by.now ?? Date.now();
  db.transaction(() => {
    const previous = getBaseline(db, monitor.id);
    putBaseline(db, { monitor: monitor.id, facts, approvedAt: at, approvedBy: by.actor, reason: by.reason });
    appendAudit(db, {
      at,
      actor: by.actor,
      action: "baseline.approve",
      target: monitor.id,
      detail: { reason: by.reason, before: previous?.facts ?? null, after: facts },
      ...(by.address ? { address: by.address } : {}),
    });
  })();
  return facts;
}
