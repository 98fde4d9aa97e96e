/**
 * Server-rendered SVG pictures: no script, no style attribute (colours come from classes in
 * console.css, sizes from presentation attributes), a viewBox so they scale to a 390 px phone,
 * a <title> and a text summary so colour is never the only signal, and they print.
 */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";

export interface DayStatus {
  /** YYYY-MM-DD at the site. */
  date: string;
  /** Worst status that day, or undefined when nothing was observed. */
  status: Status | undefined;
  checks: number;
}

const DAY_WORD: Record<Status, string> = { pass: "OK", warn: "warning", fail: "failing", unknown: "unknown" };

/** One bar per day (oldest left), coloured by that day's worst status. */
export const StatusStrip: FC<{ id: string; title: string; days: readonly DayStatus[] }> = ({ id, title, days }) => {
  const w = 10;
  const gap = 2;
  const width = days.length * (w + gap);
  const counts = { pass: 0, warn: 0, fail: 0, unknown: 0, none: 0 };
  for (const d of days) counts[d.status ?? "none"]++;
  const summary = `${counts.pass} days OK, ${counts.warn} with a warning, ${counts.fail} failing, ${counts.unknown} unknown, ${counts.none} not checked`;
  return (
    <figure class="chart-figure" id={id}>
      <svg class="chart strip" viewBox={`0 0 ${width} 34`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="none">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{summary}</desc>
        {days.map((d, i) => (
          <rect x={i * (w + gap)} y={d.status === "fail" ? 0 : d.status === "warn" ? 8 : 16} width={w} height={d.status === "fail" ? 34 : d.status === "warn" ? 26 : 18} class={`s-${d.status ?? "none"}`}>
            <title>{`${d.date}: ${d.status ? `${DAY_WORD[d.status]} (${d.checks} checks)` : "not checked"}`}</title>
          </rect>
        ))}
      </svg>
      <figcaption>
        {title}: {summary}. Taller bars are worse days; oldest on the left.
      </figcaption>
    </figure>
  );
};

export interface StateWindow {
  days: number;
  percent: { green: number; amber: number; red: number; grey: number };
}

const STATE_ORDER = ["green", "amber", "red", "grey"] as const;
const STATE_WORD = { green: "green", amber: "amber", red: "red", grey: "no evidence" } as const;

/** One stacked bar per window (30/90/365 days): share of time green, amber, red, without evidence. */
export const StateBars: FC<{ id: string; title: string; windows: readonly StateWindow[] }> = ({ id, title, windows }) => {
  const label = 62;
  const bar = 240;
  const row = 22;
  return (
    <figure class="chart-figure" id={id}>
      <svg class="chart bars" viewBox={`0 0 ${label + bar} ${windows.length * row}`} role="img" aria-labelledby={`${id}-t`}>
        <title id={`${id}-t`}>{`${title}: ${windows.map((w) => `last ${w.days} days ${w.percent.green}% green, ${w.percent.amber}% amber, ${w.percent.red}% red`).join("; ")}`}</title>
        {windows.map((w, i) => {
          let x = label;
          return (
            <g>
              <text x={0} y={i * row + 15} class="chart-label">
                {`${w.days} days`}
              </text>
              {STATE_ORDER.map((s) => {
                const width = (w.percent[s] / 100) * bar;
                const r = <rect x={x} y={i * row + 3} width={width} height={16} class={`st-${s}`}>
                  <title>{`${w.percent[s]}% ${STATE_WORD[s]}`}</title>
                </rect>;
                x += width;
                return width > 0 ? r : null;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {windows.map((w) => `${w.days} days: ${w.percent.green}% green, ${w.percent.amber}% amber, ${w.percent.red}% red, ${w.percent.grey}% no evidence`).join(" · ")}
      </figcaption>
    </figure>
  );
};

export interface DayOpenings {
  date: string;
  openings: number;
  afterHours: number;
}

/** Door openings per day (oldest left); after-hours openings stacked on top and marked with a triangle. */
export const DoorChart: FC<{ id: string; days: readonly DayOpenings[] }> = ({ id, days }) => {
  const w = 10;
  const gap = 2;
  const h = 80;
  const top = 10;
  const max = Math.max(1, ...days.map((d) => d.openings));
  const width = days.length * (w + gap);
  const total = days.reduce((n, d) => n + d.openings, 0);
  const after = days.reduce((n, d) => n + d.afterHours, 0);
  const summary = `${total} openings in ${days.length} days, ${after} after hours${after ? ` (on ${days.filter((d) => d.afterHours > 0).map((d) => d.date).join(", ")})` : ""}`;
  return (
    <figure class="chart-figure" id={id}>
      <svg class="chart doors-chart" viewBox={`0 0 ${width} ${h + top + 14}`} role="img" aria-labelledby={`${id}-t`}>
        <title id={`${id}-t`}>{`Door openings per day: ${summary}`}</title>
        <line x1={0} y1={h + top} x2={width} y2={h + top} class="axis" />
        {days.map((d, i) => {
          const x = i * (w + gap);
          const inHours = d.openings - d.afterHours;
          const hIn = (inHours / max) * h;
          const hAfter = (d.afterHours / max) * h;
          return (
            <g>
              <title>{`${d.date}: ${d.openings} openings, ${d.afterHours} after hours`}</title>
              {hIn > 0 ? <rect x={x} y={h + top - hIn} width={w} height={hIn} class="bar-in" /> : null}
              {hAfter > 0 ? <rect x={x} y={h + top - hIn - hAfter} width={w} height={hAfter} class="bar-after" /> : null}
              {d.afterHours > 0 ? <path d={`M${x} ${h + top - hIn - hAfter - 2} l${w / 2} -7 l${w / 2} 7 z`} class="mark-after" /> : null}
            </g>
          );
        })}
        <text x={0} y={h + top + 12} class="chart-label">
          {days[0]?.date.slice(5) ?? ""}
        </text>
        <text x={width} y={h + top + 12} class="chart-label" text-anchor="end">
          {days.at(-1)?.date.slice(5) ?? ""}
        </text>
      </svg>
      <figcaption>
        Door openings per day over the last {days.length} days (most on one day: {max === 1 && total === 0 ? 0 : max}); after-hours openings in red under a triangle. {summary}.
      </figcaption>
    </figure>
  );
};
