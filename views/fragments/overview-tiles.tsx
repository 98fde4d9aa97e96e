/** The overview tiles: one per checklist control. Polled by htmx from the same URL. */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";
import { StatusBadge, Time } from "../components/format.js";

export interface ControlTile {
  control: string;
  title: string;
  status: Status;
  /** When the current status began, if known. */
  since: number | undefined;
  lastChecked: number | undefined;
  problem: string | undefined;
  watched: boolean;
  /** Monitors evidencing this control, for links to their detail pages. */
  monitors: { id: string; title: string }[];
}

export const OverviewTiles: FC<{ tiles: ControlTile[]; tz: string; refreshSeconds: number }> = ({ tiles, tz, refreshSeconds }) => (
  <section id="overview-tiles" aria-label="Controls" aria-live="polite" hx-get="/" hx-trigger={`every ${refreshSeconds}s`} hx-swap="outerHTML">
    <ul class="tiles">
      {tiles.map((t) => (
        <li class={`tile tile-${t.status}`} id={`control-${t.control}`} data-status={t.status}>
          <h2>{t.title}</h2>
          <p>
            <StatusBadge status={t.status} label={t.watched ? undefined : "Not watched"} />
          </p>
          <dl>
            <dt>Since</dt>
            <dd>
              <Time ms={t.since} tz={tz} never="—" />
            </dd>
            <dt>Last checked</dt>
            <dd>
              <Time ms={t.lastChecked} tz={tz} />
            </dd>
          </dl>
          <p class="problem">{t.problem ?? (t.watched ? "No problems." : "No monitor is configured for this control.")}</p>
          {t.monitors.length ? (
            <p class="links">
              {t.monitors.map((m) => (
                <a href={`/monitors/${encodeURIComponent(m.id)}`}>Details: {m.title}</a>
              ))}
            </p>
          ) : null}
        </li>
      ))}
    </ul>
  </section>
);
