/**
 * Channels configured after an alert opened: an alert that is still firing and unacknowledged
 * when a new email group (or webhook, syslog) appears was never queued for it, so its recipients
 * would not hear of it until the next reminder, hours later, or never once it is acknowledged
 * elsewhere. The daemon calls `reconcileChannels` at start and after a config reload; each such
 * alert is queued once for each channel that would have taken it and never had it.
 */
import { notifiedFiringAlerts } from "../store/alerts.js";
import type { Db } from "../store/db.js";
import { channelCarriedAlert } from "../store/outbox.js";
import { controlOfFor, enqueue, rowItem, type AlertContext } from "./engine.js";
import type { NotificationItem } from "./notification.js";
import { activeSilences, silenceCovers } from "./silences.js";

/**
 * Queues a `firing` notice, per routed channel, for every firing, unacknowledged alert that no
 * outbox row of that channel has ever carried (routing by severity and control applies as for
 * any notice). Resolved, acknowledged, recovering and silenced alerts are left alone. Safe to
 * call any number of times: the queued row carries the alert, so it is never queued twice.
 * Returns the outbox ids written (kick the delivery worker when not empty).
 */
export function reconcileChannels(db: Db, ctx: AlertContext): number[] {
  return db.transaction(() => {
    const controlOf = controlOfFor(ctx);
    const silences = activeSilences(db, ctx.now);
    const rows = notifiedFiringAlerts(db).filter((r) => !silences.some((s) => silenceCovers(s, r)));
    if (rows.length === 0) return [];
    const ids: number[] = [];
    for (const route of ctx.routes) {
      const missing: NotificationItem[] = rows.filter((r) => !channelCarriedAlert(db, route.channel, r.id)).map((r) => rowItem(r, r.message, controlOf));
      if (missing.length > 0) ids.push(...enqueue(db, { ...ctx, routes: [route] }, "firing", missing));
    }
    return ids;
  })();
}
