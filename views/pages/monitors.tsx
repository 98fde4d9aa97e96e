/** Every configured monitor (inventory included) with its status, so none is reachable only by URL. */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";
import { StatusBadge, Time } from "../components/format.js";
import { Layout, type Viewer } from "../layouts/console.js";

export interface MonitorRow {
  id: string;
  title: string;
  control: string;
  status: Status;
  checkedAt: number | undefined;
  notApplicable: boolean;
}

export const MonitorsPage: FC<{ site: string; viewer: Viewer; tz: string; monitors: MonitorRow[] }> = (p) => (
  <Layout title="Monitors" site={p.site} viewer={p.viewer} current="/monitors">
    <ul class="cards" id="monitors">
      {p.monitors.map((m) => (
        <li id={`monitor-${m.id}`} data-status={m.status}>
          <h2>
            <a href={`/monitors/${encodeURIComponent(m.id)}`}>{m.title}</a>
          </h2>
          <p>
            <StatusBadge status={m.status} label={m.notApplicable ? "Does not apply" : undefined} /> checked <Time ms={m.checkedAt} tz={p.tz} /> · control {m.control}
          </p>
        </li>
      ))}
    </ul>
  </Layout>
);
