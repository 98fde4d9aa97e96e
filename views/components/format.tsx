/** Small display helpers shared by the console views: times, statuses, labels. */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";

export const STATUS_LABEL: Record<Status, string> = { pass: "OK", warn: "Warning", fail: "Failing", unknown: "Unknown" };

// Building an Intl.DateTimeFormat is costly (the console benchmark found 12% of its CPU there).
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, f);
  }
  return f;
}

/** "2026-11-28 06:55" in the site's time zone (the office reads local time). */
export function localTimeText(ms: number, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
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
