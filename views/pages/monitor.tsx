/** Monitor detail: findings, facts, evidence, history, drift against the baseline, approval. */
import type { Child, FC } from "hono/jsx";
import type { FactValue, Status } from "../../src/monitors/monitor.js";
import { Message, Notice, StatusBadge, Time } from "../components/format.js";
import { Layout, type Viewer } from "../layouts/console.js";

export interface DriftRow {
  fact: string;
  before: FactValue | undefined;
  after: FactValue | undefined;
  added: string[];
  removed: string[];
}

export interface MonitorView {
  id: string;
  title: string;
  control: string;
  status: Status;
  checkedAt: number | undefined;
  outcome: string | undefined;
  error: string | undefined;
  findings: { rule: string; subject: string; status: Status; message: string; since: number; kind: string }[];
  facts: [string, FactValue][];
  evidence: string;
  history: { at: number; status: Status; outcome: string; durationMs: number }[];
  baseline: { approvedAt: number; approvedBy: string; reason: string } | undefined;
  tracksBaseline: boolean;
  drift: DriftRow[];
  canApprove: boolean;
  notice?: string | undefined;
  error2?: string | undefined;
}

/** A long list (150 pending packages) folds behind its count, so the page stays readable on a phone. */
const FactValueView: FC<{ v: FactValue }> = ({ v }) =>
  Array.isArray(v) && v.length > 8 ? (
    <details>
      <summary>{v.length} items</summary>
      <ul class="fact-list">
        {v.map((x) => (
          <li>{String(x)}</li>
        ))}
      </ul>
    </details>
  ) : (
    <>{show(v)}</>
  );

const show = (v: FactValue | undefined): string => (v === undefined ? "(absent)" : Array.isArray(v) ? v.join(", ") || "(empty list)" : JSON.stringify(v));

export const MonitorFindings: FC<{ m: MonitorView; tz: string }> = ({ m, tz }) => (
  <section id="monitor-findings" aria-labelledby="findings-h">
    <h2 id="findings-h">Findings</h2>
    <p>
      <StatusBadge status={m.status} label={m.outcome === "not_applicable" ? "Does not apply" : undefined} /> last checked <Time ms={m.checkedAt} tz={tz} />
      {m.error ? (
        <span id="probe-outcome">
          {" "}
          — {m.outcome === "not_applicable" ? "does not apply to this box" : "could not check"}: <Message text={m.error} />
        </span>
      ) : null}
    </p>
    {m.findings.length === 0 ? (
      <p>No findings.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">What</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {m.findings.map((f) => (
            <tr data-status={f.status}>
              <td>
                <StatusBadge status={f.status} />
              </td>
              <td>
                <Message text={f.message} />
                <br />
                <small class="rule">
                  <code>{f.rule}</code>
                  {f.subject ? ` (${f.subject})` : null}
                </small>
              </td>
              <td>
                <Time ms={f.since} tz={tz} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

/** Findings and baseline: what an approval changes, returned alone to an htmx approval. */
export const MonitorLive: FC<{ m: MonitorView; tz: string }> = ({ m, tz }) => (
  <div id="monitor-live">
    <Notice kind="ok" text={m.notice} />
    <Notice kind="error" text={m.error2} />
    <MonitorFindings m={m} tz={tz} />

    <section id="monitor-baseline" aria-labelledby="baseline-h">
      <h2 id="baseline-h">Baseline</h2>
      {!m.tracksBaseline ? (
        <p>This monitor has no baseline: it is judged by policy only.</p>
      ) : (
        <>
          {m.baseline ? (
            <p>
              Approved <Time ms={m.baseline.approvedAt} tz={tz} /> by {m.baseline.approvedBy}
              {m.baseline.reason ? <span> — “{m.baseline.reason}”</span> : null}
            </p>
          ) : (
            <p>No baseline approved yet.</p>
          )}
          {m.drift.length ? (
            <table id="drift">
              <caption>Differences from the approved baseline</caption>
              <thead>
                <tr>
                  <th scope="col">Fact</th>
                  <th scope="col">Approved</th>
                  <th scope="col">Now</th>
                </tr>
              </thead>
              <tbody>
                {m.drift.map((d) => (
                  <tr>
                    <th scope="row">
                      <code>{d.fact}</code>
                    </th>
                    <td>{d.removed.length || d.added.length ? d.removed.map((x) => <del>{x}</del>) : show(d.before)}</td>
                    <td>{d.removed.length || d.added.length ? d.added.map((x) => <ins>{x}</ins>) : show(d.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : m.baseline ? (
            <p>What is observed now matches the baseline.</p>
          ) : null}
          {m.canApprove && m.checkedAt !== undefined && m.outcome === "ok" ? (
            <form
              method="post"
              action={`/monitors/${encodeURIComponent(m.id)}/baseline`}
              hx-post={`/monitors/${encodeURIComponent(m.id)}/baseline`}
              hx-target="#monitor-live"
              hx-swap="outerHTML"
              class="stack narrow"
              id="approve-form"
            >
              <p>
                Approve what was observed at <Time ms={m.checkedAt} tz={tz} /> as the new baseline.
              </p>
              <label for="reason">Reason (required, kept in the audit log)</label>
              <textarea id="reason" name="reason" required maxlength={500} rows={2}></textarea>
              <button type="submit">Approve as new baseline</button>
            </form>
          ) : null}
        </>
      )}
    </section>
  </div>
);

export const MonitorPage: FC<{ site: string; viewer: Viewer; m: MonitorView; tz: string; strip?: Child }> = ({ site, viewer, m, tz, strip }) => (
  <Layout title={m.title} site={site} viewer={viewer} current="/monitors">
    <p>
      Control: <strong>{m.control}</strong> · monitor id <code>{m.id}</code>
    </p>
    {strip}
    <MonitorLive m={m} tz={tz} />

    <section aria-labelledby="facts-h">
      <h2 id="facts-h">Facts</h2>
      {m.facts.length === 0 ? (
        <p>No facts observed yet.</p>
      ) : (
        <table id="facts" class="facts">
          <tbody>
            {m.facts.map(([k, v]) => (
              <tr>
                <th scope="row">
                  <code>{k}</code>
                </th>
                <td>
                  <FactValueView v={v} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>

    <section aria-labelledby="evidence-h">
      <h2 id="evidence-h">Evidence</h2>
      <pre id="evidence">{m.evidence || "(none)"}</pre>
    </section>

    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <table id="history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Status</th>
            <th scope="col">Outcome</th>
            <th scope="col">Took</th>
          </tr>
        </thead>
        <tbody>
          {m.history.map((h) => (
            <tr>
              <td>
                <Time ms={h.at} tz={tz} />
              </td>
              <td>
                <StatusBadge status={h.status} />
              </td>
              <td>{h.outcome}</td>
              <td>{h.durationMs} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  </Layout>
);
