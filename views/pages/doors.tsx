/** Doors: each sensor's state, the event timeline, and "on site until". */
import type { Child, FC } from "hono/jsx";
import { Notice, Time } from "../components/format.js";
import { Layout, type Viewer } from "../layouts/console.js";

export interface SensorView {
  id: string;
  name: string;
  state: string;
  since: number | null;
  lastSeenAt: number | null;
  online: boolean;
}

export interface DoorEventView {
  at: number;
  sensor: string;
  state: string | null;
  outcome: string;
}

export interface OnsiteView {
  until: number;
  declaredBy: string;
  reason: string;
}

/** Sensors and timeline, polled by htmx from the same URL (readable without JS: reload). */
export const DoorsLive: FC<{ sensors: SensorView[]; events: DoorEventView[]; tz: string }> = (p) => (
  <div id="doors-live" hx-get="/doors" hx-trigger="every 15s" hx-swap="outerHTML" aria-live="polite">
    <section aria-labelledby="sensors-h" id="door-sensors">
      <h2 id="sensors-h">Sensors</h2>
      {p.sensors.length === 0 ? (
        <p>No door sensors are configured.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Door</th>
              <th scope="col">State</th>
              <th scope="col">Since</th>
              <th scope="col">Last heard</th>
            </tr>
          </thead>
          <tbody>
            {p.sensors.map((s) => (
              <tr id={`sensor-${s.id}`}>
                <th scope="row">{s.name}</th>
                <td>{s.online ? s.state : `${s.state} (offline)`}</td>
                <td>
                  <Time ms={s.since} tz={p.tz} never="—" />
                </td>
                <td>
                  <Time ms={s.lastSeenAt} tz={p.tz} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
    <section aria-labelledby="timeline-h" id="door-timeline">
      <h2 id="timeline-h">Timeline</h2>
      {p.events.length === 0 ? (
        <p>No door events recorded.</p>
      ) : (
        <ol class="timeline">
          {p.events.map((e) => (
            <li>
              <Time ms={e.at} tz={p.tz} /> {e.sensor}: {e.state ?? "status"} ({e.outcome})
            </li>
          ))}
        </ol>
      )}
    </section>
  </div>
);

export const DoorsPage: FC<{
  site: string;
  viewer: Viewer;
  tz: string;
  sensors: SensorView[];
  events: DoorEventView[];
  onsite: OnsiteView | undefined;
  canDeclare: boolean;
  /** Openings per day over the last 30 days (when sensors are configured). */
  chart?: Child;
  error?: string | undefined;
  notice?: string | undefined;
}> = (p) => (
  <Layout title="Doors" site={p.site} viewer={p.viewer} current="/doors">
    <Notice kind="error" text={p.error} />
    <Notice kind="ok" text={p.notice} />
    {p.chart ? (
      <section aria-labelledby="door-chart-h">
        <h2 id="door-chart-h">Openings per day</h2>
        {p.chart}
      </section>
    ) : null}
    <DoorsLive sensors={p.sensors} events={p.events} tz={p.tz} />
    <section aria-labelledby="onsite-h" id="door-onsite">
      <h2 id="onsite-h">On site</h2>
      {p.onsite ? (
        <p>
          {p.onsite.declaredBy} is on site until <Time ms={p.onsite.until} tz={p.tz} />: {p.onsite.reason}
        </p>
      ) : (
        <p>Nobody has declared being on site after hours.</p>
      )}
      {p.canDeclare ? (
        <form method="post" action="/doors/onsite" class="stack narrow" id="onsite-form">
          <label for="until">On site until (HH:MM, today or tomorrow)</label>
          <input id="until" name="until" required pattern="[0-2][0-9]:[0-5][0-9]" maxlength={5} />
          <label for="onsite-reason">Reason</label>
          <input id="onsite-reason" name="reason" required maxlength={200} />
          <button type="submit">Declare</button>
        </form>
      ) : null}
    </section>
  </Layout>
);
