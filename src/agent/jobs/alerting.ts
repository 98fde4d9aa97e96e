/**
 * The daemon's periodic alerting work, registered on the scheduler (so it stops with it):
 * once a minute, resolve alerts whose flap window has passed, queue reminders for alerts still
 * firing and unacknowledged after `renotify_after`, re-evaluate the register findings when a
 * register changed, queue the daily digest when due, and ping the heartbeat when due.
 */
import { evaluateIfRegistersChanged } from "../compliance/evaluate.js";
import type { GatehouseConfig } from "../config/load.js";
import type { Db } from "../store/db.js";
import type { Logger } from "../../kit/log.js";
import { heartbeatTick } from "../notify/heartbeat.js";
import type { Scheduler } from "../scheduler.js";
import { alertPolicyOf } from "../alerts/config.js";
import { enqueueDigestIfDue } from "./digest.js";
import { enqueueReminders, settleAlerts, type ChannelRoute } from "../alerts/engine.js";

/** What the minute tick needs from the daemon. */
export interface AlertingJobDeps {
  db: Db;
  config: Pick<GatehouseConfig, "site" | "timezone" | "alerts"> & Partial<Pick<GatehouseConfig, "monitors">>;
  routes: readonly ChannelRoute[];
  consoleUrl?: string;
  log: Logger;
  /** Wakes the delivery worker after something was queued. */
  kick: () => void;
  now?: () => number;
}

/** One minute's alerting work; returns what it did (for tests and logs). */
export async function alertingTick(d: AlertingJobDeps): Promise<{ resolved: number; reminders: number; digest: boolean; heartbeat: boolean | undefined }> {
  const now = (d.now ?? Date.now)();
  const a = d.config.alerts;
  const { resolved, reminders, digest, registerNotices } = d.db.transaction(() => {
    const ctx = { site: d.config.site, routes: d.routes, now, policy: alertPolicyOf(a), ...(d.consoleUrl ? { consoleUrl: d.consoleUrl } : {}) };
    const ids = settleAlerts(d.db, ctx);
    const reminded = enqueueReminders(d.db, ctx, a.renotify_after);
    const registers = evaluateIfRegistersChanged(d.db, ctx, { timezone: d.config.timezone }) ?? [];
    const monitors = d.config.monitors?.map((m) => m.monitor);
    const dg = a.digest
      ? enqueueDigestIfDue(d.db, { channel: "digest", at: a.digest.at, timezone: d.config.timezone, site: d.config.site, now, ...(monitors ? { monitors } : {}), ...(d.consoleUrl ? { consoleUrl: d.consoleUrl } : {}) })
      : undefined;
    return { resolved: ids.length, reminders: reminded, digest: dg !== undefined, registerNotices: registers.length };
  })();
  if (resolved > 0 || reminders > 0 || digest || registerNotices > 0) d.kick();
  let heartbeat: boolean | undefined;
  if (a.heartbeat) {
    const r = await heartbeatTick(d.db, a.heartbeat, now);
    heartbeat = r?.ok;
    if (r && !r.ok) d.log.warn({ error: r.error }, "heartbeat ping failed");
  }
  return { resolved, reminders, digest, heartbeat };
}

/** Registers the minute tick on the daemon's scheduler. */
export function addAlertingJobs(scheduler: Scheduler, d: AlertingJobDeps): void {
  scheduler.add({ id: "alerting:tick", schedule: "* * * * *", run: async () => void (await alertingTick(d)) });
}
