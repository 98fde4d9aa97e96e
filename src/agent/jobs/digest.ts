/**
 * The daily digest: one email a day with the state of every control, also when all is green,
 * so that silence is never mistaken for health. Queued through the outbox like any notice, at
 * most once per local day (the day is recorded in the same transaction).
 *
 * The states come from the compliance scorecard, the one place that knows which finding
 * evidences which control (accounts → least-privilege and passwords, TOTP → two-factor, the
 * audit chain → audit, registers → BAAs …), so the digest and the evidence report agree.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { hhmm, localTime } from "../../kit/time.js";
import { scorecard, type ControlState } from "../compliance/scorecard.js";
import { controlRegistry } from "../controls/index.js";
import { openAlerts } from "../store/alerts.js";
import type { Db } from "../store/db.js";
import { insertNotice, readAlertingState, writeAlertingState } from "../store/outbox.js";
import type { DigestEntry, Notification } from "../alerts/notification.js";

const STATUS: Record<Exclude<ControlState, "grey">, DigestEntry["status"]> = { green: "pass", amber: "warn", red: "fail" };

/** What the digest needs to score the controls. */
export interface DigestOptions {
  now: number;
  timezone: string;
  /** The monitors this box runs (config.monitors); default every known monitor. */
  monitors?: readonly { id: string; control: string }[];
}

/**
 * Each control's state now. A grey control is "no data yet" when something is set to evidence
 * it but has not reported (a new install, a sensor not yet heard), "unwatched" when nothing is.
 */
export function buildDigest(db: Db, opts: DigestOptions): DigestEntry[] {
  const registry = controlRegistry(opts.monitors);
  const open = openAlerts(db);
  const alertsOf = (control: string) => open.filter((a) => registry.controlOfFinding(a.source, a.rule) === control);
  return scorecard(db, { now: opts.now, timezone: opts.timezone, historyDays: [], ...(opts.monitors ? { monitors: opts.monitors } : {}) }).map((s) => {
    const alerts = alertsOf(s.control.id);
    if (s.state === "grey") {
      const watched = s.evidence.length > 0;
      return { control: s.control.id, status: watched ? "no data" : "unwatched", open: alerts.length, detail: watched ? `no data yet: ${s.reason}` : `not watched on this box: ${s.control.evidence}` };
    }
    return { control: s.control.id, status: STATUS[s.state], open: alerts.length, detail: s.reason };
  });
}

/** The local date (YYYY-MM-DD) and time (HH:MM) of `now` in `timezone`. */
export function localDayTime(now: number, timezone: string): { day: string; time: string } {
  const l = localTime(now, timezone);
  return { day: l.date, time: hhmm(l.minutes) };
}

const KEY = "digest.last_day";

/**
 * Queues today's digest for `channel` when the local time is at or past `at` and today's has not
 * been queued yet (so a daemon that was down at 07:30 sends it when it comes back). Returns the
 * outbox id, or undefined when nothing was due.
 */
export function enqueueDigestIfDue(
  db: Db,
  opts: { channel: string; at: string; timezone: string; site: string; now: number; consoleUrl?: string; monitors?: readonly { id: string; control: string }[] },
): number | undefined {
  const { day, time } = localDayTime(opts.now, opts.timezone);
  if (time < opts.at) return undefined;
  return db.transaction(() => {
    const last = readAlertingState(db, KEY);
    if (last && last.value >= day) return undefined;
    const digest = buildDigest(db, { now: opts.now, timezone: opts.timezone, ...(opts.monitors ? { monitors: opts.monitors } : {}) });
    const n: Notification = { event: "digest", site: opts.site, host: hostname(), at: opts.now, items: [], digest, ...(opts.consoleUrl ? { consoleUrl: opts.consoleUrl } : {}) };
    const id = insertNotice(db, {
      alertId: null,
      event: "digest",
      channel: opts.channel,
      messageId: `<digest-${day}-${randomUUID()}@gatehouse>`,
      payloadJson: JSON.stringify(n),
      createdAt: opts.now,
      nextAttemptAt: opts.now,
      groupKey: null,
    });
    writeAlertingState(db, KEY, day, opts.now);
    return id;
  })();
}
