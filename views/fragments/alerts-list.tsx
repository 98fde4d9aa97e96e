/** Alerts by state (most severe first within each), each firing one with an acknowledge form (manager and admin). */
import type { FC } from "hono/jsx";
import type { AlertView } from "../../src/agent/alerts/rows.js";
import { Message, Time } from "../components/format.js";

export type { AlertView };

const Group: FC<{ title: string; id: string; alerts: AlertView[]; tz: string; canAck: boolean }> = ({ title, id, alerts, tz, canAck }) => (
  <section aria-labelledby={`${id}-h`} id={id}>
    <h2 id={`${id}-h`}>
      {title} ({alerts.length})
    </h2>
    {alerts.length === 0 ? (
      <p>None.</p>
    ) : (
      <ul class="alerts">
        {alerts.map((a) => (
          <li id={`alert-${a.id}`} class={`alert sev-${a.severity}`} data-state={a.state}>
            <p>
              <strong>{a.severity}</strong> · <code>{a.rule}</code>
              {a.subject ? ` (${a.subject})` : ""} · opened <Time ms={a.openedAt} tz={tz} />
            </p>
            <p>
              <Message text={a.message} />
            </p>
            {a.state === "acknowledged" ? (
              <p class="ack">
                Acknowledged by {a.ack?.by ?? "?"} <Time ms={a.ack?.at} tz={tz} />
                {a.ack?.note ? `: ${a.ack.note}` : ""}
              </p>
            ) : null}
            {a.state === "resolved" ? (
              <p>
                Resolved <Time ms={a.resolvedAt} tz={tz} />
              </p>
            ) : null}
            {a.state === "firing" && canAck ? (
              <form method="post" action={`/alerts/${a.id}/ack`} hx-post={`/alerts/${a.id}/ack`} hx-target="#alerts-list" hx-swap="outerHTML" class="inline">
                <label for={`note-${a.id}`}>Note (what is being done)</label>
                <input id={`note-${a.id}`} name="note" required maxlength={500} />
                <button type="submit">Acknowledge</button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
    )}
  </section>
);

export const AlertsList: FC<{ alerts: AlertView[]; tz: string; canAck: boolean }> = ({ alerts, tz, canAck }) => (
  <div id="alerts-list">
    <Group title="Firing" id="alerts-firing" alerts={alerts.filter((a) => a.state === "firing")} tz={tz} canAck={canAck} />
    <Group title="Acknowledged" id="alerts-acknowledged" alerts={alerts.filter((a) => a.state === "acknowledged")} tz={tz} canAck={canAck} />
    <Group title="Resolved (recent)" id="alerts-resolved" alerts={alerts.filter((a) => a.state === "resolved")} tz={tz} canAck={canAck} />
  </div>
);
