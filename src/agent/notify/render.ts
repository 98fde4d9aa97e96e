/**
 * Subject and plain-text body of a notification. The HTML twin lives in views/emails.
 * Bodies say what changed (before → after), since when, and where to look; never secrets.
 */
import type { Notification, NotificationItem } from "../alerts/notification.js";
import { topSeverity } from "../alerts/notification.js";

const EVENT_WORD: Record<Notification["event"], string> = {
  firing: "",
  reminder: "REMINDER ",
  resolved: "RESOLVED ",
  test: "TEST ",
};

/** `[Gatehouse][CRITICAL] Acme Phoenix: firewall disabled` */
export function renderSubject(n: Notification): string {
  const sev = n.event === "resolved" ? "OK" : topSeverity(n).toUpperCase();
  const first = n.items[0];
  const what = n.items.length === 1 && first ? oneLine(first.message, 120) : `${n.items.length} problems (${[...new Set(n.items.map((i) => i.source))].join(", ")})`;
  return `[Gatehouse][${EVENT_WORD[n.event]}${sev}] ${n.site}: ${what}`;
}

function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** ISO-8601 in UTC: unambiguous for people in other time zones reading forwarded mail. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function itemText(i: NotificationItem): string {
  const lines = [`* [${i.severity}] ${i.source}: ${i.message}`, `  rule ${i.rule}${i.subject ? ` (${i.subject})` : ""}, since ${formatTime(i.since)}`];
  if (i.change) {
    if (i.change.added?.length) lines.push(...i.change.added.map((a) => `  + ${a}`));
    if (i.change.removed?.length) lines.push(...i.change.removed.map((r) => `  - ${r}`));
    if (!i.change.added && !i.change.removed) lines.push(`  before: ${JSON.stringify(i.change.before)}`, `  after:  ${JSON.stringify(i.change.after)}`);
  }
  return lines.join("\n");
}

export const INTRO: Record<Notification["event"], string> = {
  firing: "Gatehouse found a problem with the security basics on this site.",
  reminder: "Still not fixed and not acknowledged:",
  resolved: "Recovered:",
  test: "This is a test notification from Gatehouse. If you can read it, this channel works.",
};

/** The plain-text body. */
export function renderText(n: Notification): string {
  const parts = [`${INTRO[n.event]}`, `Site: ${n.site}`, `Time: ${formatTime(n.at)}`, "", ...n.items.map(itemText)];
  if (n.consoleUrl) parts.push("", `Console: ${n.consoleUrl}`);
  parts.push("", "-- ", "Gatehouse security agent");
  return parts.join("\n");
}
