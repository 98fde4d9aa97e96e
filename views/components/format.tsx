/** Small display helpers shared by the console views: times, statuses, labels, `code` spans. */
import type { Child, FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";

export const STATUS_LABEL: Record<Status, string> = { pass: "OK", warn: "Warning", fail: "Failing", unknown: "Unknown" };

// Building an Intl.DateTimeFormat is costly (the console benchmark found 12% of its CPU there).
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
    formatters.set(timeZone, f);
  }
  return f;
}

// The text depends on the minute alone (every zone's offset is whole minutes since 1972), and a
// page shows the same few dozen minutes again and again: formatting was a fifth of a monitor page.
const texts = new Map<string, string>();
const MAX_TEXTS = 10_000;

/** "2026-11-28 06:55 MST" in the site's time zone, with the zone named (the CLI and logs use UTC). */
export function localTimeText(ms: number, timeZone: string): string {
  const minute = Math.floor(ms / 60_000);
  const key = `${minute}|${timeZone}`;
  let text = texts.get(key);
  if (text === undefined) {
    const parts = formatterFor(timeZone).formatToParts(minute * 60_000);
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
    text = `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")} ${get("timeZoneName")}`;
    if (texts.size >= MAX_TEXTS) texts.clear();
    texts.set(key, text);
  }
  return text;
}

/** A <time> element with the machine-readable instant and local text. */
export const Time: FC<{ ms: number | null | undefined; tz: string; never?: string }> = ({ ms, tz, never }) =>
  ms === null || ms === undefined ? <span>{never ?? "never"}</span> : <time datetime={new Date(ms).toISOString()}>{localTimeText(ms, tz)}</time>;

/** A status badge: text first (colour is never the only signal). */
export const StatusBadge: FC<{ status: Status; label?: string }> = ({ status, label }) => (
  <span class={`badge badge-${status}`}>{label ?? STATUS_LABEL[status]}</span>
);

/** A message box for errors and notices, announced by screen readers. */
export const Notice: FC<{ kind: "error" | "info" | "ok"; text: string | undefined; id?: string }> = ({ kind, text, id }) =>
  text ? (
    <p class={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"} id={id}>
      {text}
    </p>
  ) : null;

/**
 * A box that scrolls sideways when its table is wider than a phone: focusable and named, so a
 * keyboard user can scroll it too (axe: scrollable-region-focusable).
 */
export const ScrollBox: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  <div class="scroll" tabindex={0} role="region" aria-label={label}>
    {children}
  </div>
);

/**
 * Messages written for people use Markdown-style `code` spans (commands, file names). Split into
 * text and code pieces; an unpaired backtick stays as text.
 */
export function codeSpans(text: string): { code: boolean; text: string }[] {
  const out: { code: boolean; text: string }[] = [];
  const re = /`([^`\n]+)`/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) out.push({ code: false, text: text.slice(at, m.index) });
    out.push({ code: true, text: m[1]! });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ code: false, text: text.slice(at) });
  return out;
}

/** The same message as plain text (CLI, mail subjects): code spans lose their backticks. */
export function plainMessage(text: string): string {
  return codeSpans(text)
    .map((p) => p.text)
    .join("");
}

/** A message with its `code` spans rendered as <code> (escaped like all text). */
export const Message: FC<{ text: string }> = ({ text }) => (
  <>
    {codeSpans(text).map((p) => (p.code ? <code>{p.text}</code> : p.text))}
  </>
);
