/**
 * Subject, plain-text body and one-line summaries of a notification. The HTML twin lives in
 * views/emails. Bodies say what changed (before → after), since when, and where to look; they
 * are built only from the notification snapshot, which never holds secrets.
 */
import type { Notification, NotificationItem } from "../alerts/notification.js";
import { topSeverity } from "../alerts/notification.js";

const EVENT_WORD: Record<Notification["event"], string> = {
  firing: "",
  reminder: "REMINDER ",
  resolved: "RESOLVED ",
  test: "TEST ",
  digest: "DIGEST ",
};

/** `[Gatehouse][CRITICAL] Acme Phoenix: firewall disabled` */
export function renderSubject(n: Notification): string {
  if (n.event === "digest") {
    const bad = (n.digest ?? []).filter((d) => d.status === "fail" || d.status === "warn" || d.status === "unknown");
    const sev = bad.some((d) => d.status === "fail") ? "CRITICAL" : bad.length ? "WARNING" : "OK";
    const what = bad.length === 0 ? "all watched controls pass" : `${bad.length} control${bad.length === 1 ? "" : "s"} need attention (${bad.map((d) => d.control).join(", ")})`;
    return `[Gatehouse][DIGEST ${sev}] ${n.site}: ${what}`;
  }
  const sev = n.event === "resolved" ? "OK" : topSeverity(n).toUpperCase();
  const first = n.items[0];
  const what = n.items.length === 1 && first ? oneLine(first.message, 120) : `${n.items.length} problems (${[...new Set(n.items.map((i) => i.source))].join(", ")})`;
  return `[Gatehouse][${EVENT_WORD[n.event]}${sev}] ${n.site}: ${what}`;
}

/** Collapses whitespace (no header or syslog injection through newlines) and caps the length. */
export function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** ISO-8601 in UTC: unambiguous for people in other time zones reading forwarded mail. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `before → after` of a scalar change, JSON-quoted so an empty string is visible. */
export function beforeAfter(before: unknown, after: unknown): string {
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return `${show(before)} → ${show(after)}`;
}

/** The detail lines of one item (rule, since, flaps, what changed). */
export function itemDetail(i: NotificationItem): string[] {
  const lines = [`rule ${i.rule}${i.subject ? ` (${i.subject})` : ""}, since ${formatTime(i.since)}${i.flaps ? `, flapped ${i.flaps}×` : ""}`];
  if (i.change) {
    if (i.change.added?.length) lines.push(...i.change.added.map((a) => `+ ${a}`));
    if (i.change.removed?.length) lines.push(...i.change.removed.map((r) => `- ${r}`));
    if (!i.change.added && !i.change.removed) lines.push(`${i.change.fact}: ${beforeAfter(i.change.before, i.change.after)}`);
  }
  return lines;
}

function itemText(i: NotificationItem): string {
  return [`* [${i.severity}] ${i.source}: ${i.message}`, ...itemDetail(i).map((l) => `  ${l}`)].join("\n");
}

/** The opening sentence of each kind of notice. */
export const INTRO: Record<Notification["event"], string> = {
  firing: "Gatehouse found a problem with the security basics on this site.",
  reminder: "Still not fixed and not acknowledged:",
  resolved: "Recovered:",
  test: "This is a test notification from Gatehouse. If you can read it, this channel works.",
  digest: "Daily summary of the security basics on this site. It is sent every day, also when all is well, so that silence never passes for health.",
};

/** The plain-text body. */
export function renderText(n: Notification): string {
  const parts = [`${INTRO[n.event]}`, `Site: ${n.site}`, `Time: ${formatTime(n.at)}`, ""];
  if (n.event === "digest") parts.push(...(n.digest ?? []).map((d) => `${d.status.toUpperCase().padEnd(9)} ${d.control.padEnd(16)} ${d.detail}`));
  else parts.push(...n.items.map(itemText));
  if (n.consoleUrl) parts.push("", `Console: ${n.consoleUrl}`);
  parts.push("", "-- ", "Gatehouse security agent");
  return parts.join("\n");
}

/** A short text for chat tools (Slack/Teams `text`): the subject and one line per item. */
export function renderChatText(n: Notification): string {
  const lines = [renderSubject(n)];
  if (n.event === "digest") lines.push(...(n.digest ?? []).map((d) => `• ${d.control}: ${d.status}`));
  else lines.push(...n.items.slice(0, 20).map((i) => `• [${i.severity}] ${i.source}: ${oneLine(i.message, 200)}`));
  if (n.event !== "digest" && n.items.length > 20) lines.push(`… and ${n.items.length - 20} more`);
  if (n.consoleUrl) lines.push(n.consoleUrl);
  return lines.join("\n");
}
