/**
 * The overview fragment: a summary line (failing, warnings, unwatched, last check, this month's
 * compliance), one tile per checklist control and one per register control. Polled by htmx from
 * the same URL; each tile shows its worst finding and what to do about it.
 */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";
import { Message, StatusBadge, Time } from "../components/format.js";

export interface ControlTile {
  control: string;
  title: string;
  status: Status;
  /** When the current status began, if known. */
  since: number | undefined;
  lastChecked: number | undefined;
  /** The worst finding, and what to do about it. */
  problem: string | undefined;
  advice: string | undefined;
  /** How many other problems the tile has (shown on the detail page). */
  more: number;
  watched: boolean;
  /** Monitors evidencing this control, for links to their detail pages. */
  monitors: { id: string; title: string }[];
  /** The office computers' rollup for this control ("Anti-virus: 17 of 19 computers green"). */
  computers?: string[];
  /** A page of its own (register controls). */
  href: string | undefined;
}

export interface OverviewSummary {
  failing: number;
  warnings: number;
  unwatched: number;
  lastCheck: number | undefined;
  /** Percent of evidenced time green this month, if anything was evidenced. */
  compliance: number | undefined;
}

const Tile: FC<{ t: ControlTile; tz: string }> = ({ t, tz }) => (
  <li class={`tile tile-${t.status}`} id={`control-${t.control}`} data-status={t.status}>
    <h3>{t.href ? <a href={t.href}>{t.title}</a> : t.title}</h3>
    <p>
      <StatusBadge status={t.status} label={t.watched ? undefined : "Not watched"} />
    </p>
    <p class="problem">{t.problem ? <Message text={t.problem} /> : t.watched ? "No problems." : "Nothing watches this control yet."}</p>
    {t.advice ? (
      <p class="advice">
        <span class="label">What to do:</span> {t.advice}
      </p>
    ) : null}
    {t.more > 0 ? <p class="more">and {t.more} more on the detail page</p> : null}
    {t.lastChecked !== undefined || t.since !== undefined ? (
      <dl>
        {t.since !== undefined ? (
          <>
            <dt>Since</dt>
            <dd>
              <Time ms={t.since} tz={tz} />
            </dd>
          </>
        ) : null}
        {t.lastChecked !== undefined ? (
          <>
            <dt>Checked</dt>
            <dd>
              <Time ms={t.lastChecked} tz={tz} />
            </dd>
          </>
        ) : null}
      </dl>
    ) : null}
    {t.computers?.length ? (
      <p class="computers">
        {t.computers.map((line) => (
          <a href="/computers">{line}</a>
        ))}
      </p>
    ) : null}
    {t.monitors.length ? (
      <p class="links">
        {t.monitors.map((m) => (
          <a href={`/monitors/${encodeURIComponent(m.id)}`}>Details: {m.title}</a>
        ))}
      </p>
    ) : null}
  </li>
);

export const OverviewTiles: FC<{ tiles: ControlTile[]; registers: ControlTile[]; summary: OverviewSummary; tz: string; refreshSeconds: number }> = ({ tiles, registers, summary, tz, refreshSeconds }) => (
  <section id="overview-tiles" aria-label="Controls" hx-get="/" hx-trigger={`every ${refreshSeconds}s`} hx-swap="outerHTML">
    <p id="overview-summary" class={`summary summary-${summary.failing ? "fail" : summary.warnings ? "warn" : "pass"}`} role="status">
      <strong>{summary.failing} failing</strong>, {summary.warnings} {summary.warnings === 1 ? "warning" : "warnings"}, {summary.unwatched} unwatched · last check{" "}
      <Time ms={summary.lastCheck} tz={tz} /> · compliance this month:{" "}
      <a href="/compliance">{summary.compliance === undefined ? "no evidence yet" : `${summary.compliance}%`}</a>
    </p>
    <h2 id="checklist-h">Checklist</h2>
    <ul class="tiles" aria-labelledby="checklist-h">
      {tiles.map((t) => (
        <Tile t={t} tz={tz} />
      ))}
    </ul>
    <h2 id="registers-h">Registers</h2>
    <ul class="tiles" aria-labelledby="registers-h">
      {registers.map((t) => (
        <Tile t={t} tz={tz} />
      ))}
    </ul>
  </section>
);
