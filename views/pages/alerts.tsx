/** Alerts and silences. */
import type { FC } from "hono/jsx";
import { Notice, Time } from "../components/format.js";
import { AlertsList, type AlertView } from "../fragments/alerts-list.js";
import { Layout, type Viewer } from "../layouts/console.js";

export interface SilenceView {
  id: number;
  match: string;
  reason: string;
  createdBy: string;
  expiresAt: number;
}

export const AlertsPage: FC<{
  site: string;
  viewer: Viewer;
  tz: string;
  alerts: AlertView[];
  silences: SilenceView[];
  canAck: boolean;
  canSilence: boolean;
  error?: string | undefined;
}> = (p) => (
  <Layout title="Alerts" site={p.site} viewer={p.viewer} current="/alerts">
    <Notice kind="error" text={p.error} />
    <AlertsList alerts={p.alerts} tz={p.tz} canAck={p.canAck} />
    <section aria-labelledby="silences-h" id="silences">
      <h2 id="silences-h">Silences</h2>
      <p>While a silence is active, notices for matching alerts are not sent; the alerts are still recorded and shown.</p>
      {p.silences.length === 0 ? (
        <p>No active silences.</p>
      ) : (
        <ul>
          {p.silences.map((s) => (
            <li id={`silence-${s.id}`}>
              <code>{s.match}</code> until <Time ms={s.expiresAt} tz={p.tz} /> by {s.createdBy}: {s.reason}
              {p.canSilence ? (
                <form method="post" action={`/silences/${s.id}/end`} class="inline">
                  <button type="submit">End now</button>
                </form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {p.canSilence ? (
        <form method="post" action="/silences" class="stack narrow" id="silence-form">
          <label for="match">Match (source, rule or key; * and ? allowed)</label>
          <input id="match" name="match" required maxlength={200} />
          <label for="hours">For how many hours</label>
          <input id="hours" name="hours" type="number" min={1} max={720} value="4" required />
          <label for="silence-reason">Reason</label>
          <input id="silence-reason" name="reason" required maxlength={500} />
          <button type="submit">Add silence</button>
        </form>
      ) : null}
    </section>
  </Layout>
);
