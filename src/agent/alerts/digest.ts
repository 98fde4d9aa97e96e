/**
 * The daily digest: one email a day with the state of every control, also when all is green,
 * so that silence is never mistaken for health. Queued through the outbox like any notice, at
 * most once per local day (the day is recorded in the same transaction).
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../store/db.js";
import { ALL_CONTROLS, controlMapper } from "./controls.js";
import type { DigestEntry, Notification } from "./notification.js";

const WORST = ["pass", "unknown", "warn", "fail"] as const;

/** Each control's state now, from finding_state and open alerts. */
export function buildDigest(db: Db, controlOf: (source: string) => string | undefined = controlMapper()): DigestEntry[] {
  const findings = db.prepare("SELECT monitor, status, message, last_seen FROM finding_state").all() as { monitor: string; status: string; message: string; last_seen: number }[];
  const open = db.prepare("SELECT source, severity, message FROM alerts WHERE state != 'resolved'").all() as { source: string; severity: string; message: string }[];
  return ALL_CONTROLS.map((control) => {
    const fs = findings.filter((f) => controlOf(f.monitor) === control);
    const alerts = open.filter((a) => controlOf(a.source) === control);
    if (fs.length === 0 && alerts.length === 0) return { control, status: "unwatched", open: 0, detail: "not watched by this agent" };
    let status: string = fs.reduce<string>((w, f) => (WORST.indexOf(f.status as (typeof WORST)[number]) > WORST.indexOf(w as (typeof WORST)[number]) ? f.status : w), "pass");
    if (alerts.some((a) => a.severity === "critical")) status = "fail";
    else if (alerts.length > 0 && status === "pass") status = "warn";
    const bad = [...alerts.map((a) => a.message), ...fs.filter((f) => f.status !== "pass").map((f) => f.message)];
    const detail =
      bad.length > 0
        ? `${[...new Set(bad)].slice(0, 3).join("; ")}${bad.length > 3 ? ` (+${bad.length - 3} more)` : ""}`
        : `${fs.length} check${fs.length === 1 ? "" : "s"} pass, last ${new Date(Math.max(...fs.map((f) => f.last_seen))).toISOString().slice(0, 16)}Z`;
    return { control, status, open: alerts.length, detail };
  });
}

/** The local date (YYYY-MM-DD) and time (HH:MM) of `now` in `timezone`. */
export function localDayTime(now: number, timezone: string): { day: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(now))
      .map((p) => [p.type, p.value]),
  );
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

const KEY = "digest.last_day";

/**
 * Queues today's digest for `channel` when the local time is at or past `at` and today's has not
 * been queued yet (so a daemon that was down at 07:30 sends it when it comes back). Returns the
 * outbox id, or undefined when nothing was due.
 */
export function enqueueDigestIfDue(
  db: Db,
  opts: { channel: string; at: string; timezone: string; site: string; now: number; consoleUrl?: string; controlOf?: (source: string) => string | undefined },
): number | undefined {
  const { day, time } = localDayTime(opts.now, opts.timezone);
  if (time < opts.at) return undefined;
  return db.transaction(() => {
    const last = db.prepare("SELECT value FROM alerting_state WHERE key = ?").get(KEY) as { value: string } | undefined;
    if (last && last.value >= day) return undefined;
    const n: Notification = { event: "digest", site: opts.site, at: opts.now, items: [], digest: buildDigest(db, opts.controlOf), ...(opts.consoleUrl ? { consoleUrl: opts.consoleUrl } : {}) };
    const info = db
      .prepare("INSERT INTO outbox (alert_id, event, channel, message_id, payload_json, created_at, next_attempt_at) VALUES (NULL, 'digest', ?, ?, ?, ?, ?)")
      .run(opts.channel, `<digest-${day}-${randomUUID()}@gatehouse>`, JSON.stringify(n), opts.now, opts.now);
    db.prepare("INSERT INTO alerting_state (key, value, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, at = excluded.at").run(KEY, day, opts.now);
    return Number(info.lastInsertRowid);
  })();
}
