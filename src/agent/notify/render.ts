/**
 * Subject, plain-text body and one-line summaries of a notification. The HTML twin lives in
 * email-html.tsx and renders the same `presentNotice` blocks. Bodies are written for the person
 * who has to act: which site and which box, what is wrong (one line per changed rule, never a
 * fingerprint), since when, and the exact command or console page that settles it; a recovery
 * says what recovered and how long it was broken. Built only from the notification snapshot,
 * which never holds secrets.
 */
import { spokenDuration, utcText } from "../../kit/format.js";
import type { DigestEntry, Notification, NotificationItem } from "../alerts/notification.js";
import { topSeverity } from "../alerts/notification.js";

/** `Acme Phoenix (edge-01)`: the site and, when known, the box. */
export function where(n: Pick<Notification, "site" | "host">): string {
  return n.host ? `${n.site} (${n.host})` : n.site;
}

/**
 * The digest's verdict: OK only when no control fails or warns, no alert is open and something
 * actually passed; NO DATA when nothing has reported yet (a new install is not "all well").
 */
export function digestVerdict(rows: readonly DigestEntry[]): { level: "OK" | "NO DATA" | "WARNING" | "CRITICAL"; text: string } {
  const bad = rows.filter((d) => d.status === "fail" || d.status === "warn");
  const open = rows.reduce((n, d) => n + d.open, 0);
  const noData = rows.filter((d) => d.status === "no data");
  const passing = rows.filter((d) => d.status === "pass");
  const level = bad.some((d) => d.status === "fail") ? "CRITICAL" : bad.length || open ? "WARNING" : passing.length ? "OK" : "NO DATA";
  const parts: string[] = [];
  if (bad.length) parts.push(`${bad.length} control${bad.length === 1 ? "" : "s"} need attention (${bad.map((d) => d.control).join(", ")})`);
  if (open) parts.push(`${open} open alert${open === 1 ? "" : "s"}`);
  if (noData.length) parts.push(`${noData.length} control${noData.length === 1 ? " has" : "s have"} no data yet`);
  if (level === "OK" && noData.length) parts.unshift(`${passing.length} control${passing.length === 1 ? "" : "s"} pass`);
  return { level, text: parts.length ? parts.join("; ") : "every watched control passes" };
}

/** `[Gatehouse][CRITICAL] Acme Phoenix (edge-01): Server room opened after hours` */
export function renderSubject(n: Notification): string {
  const at = where(n);
  if (n.event === "digest") {
    const v = digestVerdict(n.digest ?? []);
    return `[Gatehouse][DIGEST ${v.level}] ${at}: ${v.text}`;
  }
  if (n.event === "report") return `[Gatehouse][REPORT] ${at}: HIPAA evidence report for ${n.report?.month ?? "last month"} is ready`;
  const blocks = presentNotice(n);
  const first = blocks[0];
  if (n.event === "resolved") {
    const what = blocks.length === 1 && first ? oneLine(first.title, 120) : `${blocks.length} problems recovered (${sources(n)})`;
    return `[Gatehouse][RESOLVED] ${at}: ${what}`;
  }
  const word = n.event === "reminder" ? "REMINDER " : n.event === "test" ? "TEST " : "";
  const what = blocks.length === 1 && first ? oneLine(first.title, 120) : `${blocks.length} problems (${sources(n)})`;
  return `[Gatehouse][${word}${topSeverity(n).toUpperCase()}] ${at}: ${what}`;
}

const sources = (n: Notification) => [...new Set(n.items.map((i) => i.source))].join(", ");

/** Collapses whitespace (no header or syslog injection through newlines) and caps the length. */
export function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `before → after` of a scalar change, JSON-quoted so an empty string is visible. */
export function beforeAfter(before: unknown, after: unknown): string {
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return `${show(before)} → ${show(after)}`;
}

/** One thing a recipient reads: a title line and the lines under it. */
export interface NoticeBlock {
  /** critical | warning | info while firing; "recovered" in a recovery. */
  label: string;
  title: string;
  lines: string[];
  /** What to do: a command to run or a console page to open. */
  actions: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const isFingerprint = (i: NotificationItem) => !!i.change && (HEX64.test(String(i.change.before)) || HEX64.test(String(i.change.after)));

/** The console page of a monitor, where its baseline is approved (null without a console URL). */
function monitorPage(consoleUrl: string | undefined, source: string): string | undefined {
  if (!consoleUrl) return undefined;
  try {
    return new URL(`monitors/${encodeURIComponent(source)}`, consoleUrl.endsWith("/") ? consoleUrl : `${consoleUrl}/`).toString();
  } catch {
    return undefined;
  }
}

/**
 * Turns a notice's items into what a person reads. Drift of one source becomes one block per
 * changed rule or value (the same rule seen in several facts, e.g. IPv4 and IPv6 of an inet
 * table, is one block; a ruleset fingerprint is never shown when something readable changed),
 * with the command that approves an intended change. Recoveries say how long it was broken.
 */
export function presentNotice(n: Notification): NoticeBlock[] {
  const out: NoticeBlock[] = [];
  const resolved = n.event === "resolved";
  const bySource = new Map<string, NotificationItem[]>();
  for (const i of n.items) {
    if (!resolved && i.change && i.rule.endsWith(".drift")) bySource.set(i.source, [...(bySource.get(i.source) ?? []), i]);
    else out.push(plainBlock(n, i));
  }
  for (const [source, items] of bySource) {
    const readable = items.filter((i) => !isFingerprint(i));
    const shown = readable.length > 0 ? readable : items;
    const changes = new Map<string, { label: string; title: string; facts: string[]; since: number }>();
    for (const i of shown) {
      const c = i.change!;
      const lines = c.added || c.removed ? [...(c.added ?? []).map((a) => `added "${a}"`), ...(c.removed ?? []).map((r) => `removed "${r}"`)] : [isFingerprint(i) ? `${c.fact} differs (a fingerprint of the whole ruleset)` : `${c.fact} ${beforeAfter(c.before, c.after)}`];
      for (const l of lines) {
        const prev = changes.get(l);
        if (prev) prev.facts.push(c.fact);
        else changes.set(l, { label: i.severity, title: `${source} changed: ${l}`, facts: [c.fact], since: i.since });
      }
    }
    const approve = [`If this change was intended, approve it: gatehouse baseline approve ${source} --reason "…"`, ...(monitorPage(n.consoleUrl, source) ? [`or in the console: ${monitorPage(n.consoleUrl, source)}`] : [])];
    for (const c of changes.values()) {
      out.push({ label: c.label, title: c.title, lines: [`changed since the approved baseline (${[...new Set(c.facts)].join(", ")}), since ${utcText(c.since)}`], actions: approve });
    }
  }
  return out;
}

function plainBlock(n: Notification, i: NotificationItem): NoticeBlock {
  const plain = (t: string) => t.toLowerCase().replace(/[-_]+/g, " ");
  const name = i.subject && !plain(i.message).includes(plain(i.subject)) ? ` (${i.subject})` : "";
  if (n.event === "resolved") {
    const what = i.message.replace(/^resolved: /, "");
    return {
      label: "recovered",
      title: `${what}${name}`,
      lines: [`${i.source} ${i.rule} was ${i.severity} from ${utcText(i.since)} to ${utcText(n.at)}: broken for ${spokenDuration(n.at - i.since)}${i.flaps ? `, flapped ${i.flaps}×` : ""}`],
      actions: [],
    };
  }
  const lines = [`${i.source} ${i.rule}, since ${utcText(i.since)}${i.flaps ? `, flapped ${i.flaps}×` : ""}`];
  if (i.change && !isFingerprint(i)) {
    const c = i.change;
    lines.push(...(c.added ?? []).map((a) => `added: ${a}`), ...(c.removed ?? []).map((r) => `removed: ${r}`));
    if (!c.added && !c.removed) lines.push(`${c.fact}: ${beforeAfter(c.before, c.after)}`);
  }
  const actions: string[] = [];
  if (i.rule.endsWith(".baseline_missing")) actions.push(`Review what it observes, then: gatehouse baseline approve ${i.source} --reason "…"`);
  if (n.event !== "test" && i.alertId !== null) actions.push(`Acknowledge (stops reminders): gatehouse alerts ack ${i.alertId} --note "…"`);
  return { label: i.severity, title: `${i.message}${name}`, lines, actions };
}

/** The opening sentence of each kind of notice. */
export const INTRO: Record<Notification["event"], string> = {
  firing: "Gatehouse found a problem with the security basics on this site.",
  reminder: "Still not fixed and not acknowledged:",
  resolved: "Recovered:",
  test: "This is a test notification from Gatehouse. If you can read it, this channel works.",
  digest: "Daily summary of the security basics on this site. It is sent every day, also when all is well, so that silence never passes for health.",
  report: "The monthly HIPAA evidence report for this site is ready. Keep it with your compliance records.",
};

/** The report announcement's lines: which file, its seal and how to check it. */
export function reportLines(n: Notification): string[] {
  const r = n.report;
  if (!r) return [];
  return [
    `Period: ${r.from} to ${r.to}${r.installedAt ? ` (Gatehouse was installed ${r.installedAt}; there is no data before that)` : ""}`,
    `Report: ${r.htmlPath}`,
    `Data (JSON twin): ${r.jsonPath}`,
    `Content digest (SHA-256, printed in the report): ${r.contentSha256}`,
    ...(r.keyFingerprint ? [`Signed with this box's report key, fingerprint ${r.keyFingerprint}`] : []),
    `Check it: gatehouse report verify ${r.htmlPath}`,
    ...(r.link ? [`Download: ${r.link}`] : []),
    `Controls, worst state in the month: ${r.counts.green} green, ${r.counts.amber} amber, ${r.counts.red} red, ${r.counts.grey} without data`,
  ];
}

/** The plain-text body. */
export function renderText(n: Notification): string {
  const parts = [INTRO[n.event], `Site: ${n.site}`, ...(n.host ? [`Host: ${n.host}`] : []), `Time: ${utcText(n.at)}`, ""];
  if (n.event === "digest" || n.event === "report") {
    if (n.event === "report") parts.push(...reportLines(n), "");
    parts.push(...(n.digest ?? []).map((d) => `${d.status.toUpperCase().padEnd(9)} ${d.control.padEnd(17)} ${d.open ? `${d.open} open alert(s); ` : ""}${d.detail}`));
  } else {
    for (const b of presentNotice(n)) parts.push(`* [${b.label}] ${b.title}`, ...b.lines.map((l) => `  ${l}`), ...b.actions.map((a) => `  -> ${a}`));
  }
  if (n.consoleUrl) parts.push("", `Console: ${n.consoleUrl}`);
  parts.push("", "-- ", `Gatehouse security agent on ${where(n)}`);
  return parts.join("\n");
}

/** A short text for chat tools (Slack/Teams `text`): the subject and one line per item. */
export function renderChatText(n: Notification): string {
  const lines = [renderSubject(n)];
  if (n.event === "digest" || n.event === "report") lines.push(...(n.event === "report" ? reportLines(n).slice(0, 4) : []), ...(n.digest ?? []).map((d) => `• ${d.control}: ${d.status}`));
  else {
    const blocks = presentNotice(n);
    lines.push(...blocks.slice(0, 20).map((b) => `• [${b.label}] ${oneLine(b.title, 200)}`));
    if (blocks.length > 20) lines.push(`… and ${blocks.length - 20} more`);
  }
  if (n.consoleUrl) lines.push(n.consoleUrl);
  return lines.join("\n");
}
