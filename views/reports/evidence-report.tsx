/**
 * The standalone evidence report (hono/jsx escapes every value; no scripts). Each section has a
 * stable id (summary, controls, alerts, baselines, doors, registers, audit, seal) so tests and
 * readers can find it. The seal (content digest, signature, key fingerprint and public key) is
 * printed in the document itself, so a PDF or paper copy can be checked.
 */
import type { FC } from "hono/jsx";
// Types only (erased at build): the report's data model is the JSON twin's format, declared once
// by the agent that builds it; nothing of the agent is loaded by this view.
import type { EvidenceReport, ReportControl, ReportRegister, ReportSeal } from "../../src/agent/compliance/report.js";
import type { ControlState } from "../../src/agent/compliance/scorecard.js";
import { REPORT_CSS } from "./report-css.js";

const LABEL: Record<ControlState, string> = { green: "Green", amber: "Amber", red: "Red", grey: "No evidence" };

const State: FC<{ s: ControlState }> = ({ s }) => <span class={`state state-${s}`}>{LABEL[s]}</span>;

const fmtDuration = (ms: number): string => {
  const d = ms / 86_400_000;
  return d >= 1 ? `${d.toFixed(1)} d` : `${(ms / 3_600_000).toFixed(1)} h`;
};

const ControlSection: FC<{ c: ReportControl }> = ({ c }) => (
  <section class="control" id={`control-${c.id}`}>
    <h3>
      {c.title} <State s={c.worst_state} />
    </h3>
    <p class="muted">
      {c.summary}. 45 CFR {c.citations.join(", ")} ({c.requirement})
      {c.proposed_2025 ? `. Proposed 2025 update: ${c.proposed_2025}` : ""}. Evidence: {c.evidence_kind}.
    </p>
    <table>
      <tr>
        <th>State at end of period</th>
        <th>Green</th>
        <th>Amber</th>
        <th>Red</th>
        <th>No evidence</th>
      </tr>
      <tr>
        <td>
          <State s={c.end_state} />
        </td>
        {(["green", "amber", "red", "grey"] as const).map((s) => (
          <td class="num">
            {c.percent_in_state[s]}% ({fmtDuration(c.time_in_state_ms[s])})
          </td>
        ))}
      </tr>
    </table>
    {c.evidence.length ? (
      <table>
        <tr>
          <th>State</th>
          <th>Source</th>
          <th>Finding</th>
          <th>Observed</th>
        </tr>
        {c.evidence.map((e) => (
          <tr>
            <td>
              <State s={e.state} />
            </td>
            <td>{e.source}</td>
            <td>
              {e.message}
              <br />
              <small class="muted">
                {e.rule}
                {e.subject ? ` (${e.subject})` : ""}
              </small>
            </td>
            <td>{e.observed_at ?? ""}</td>
          </tr>
        ))}
      </table>
    ) : (
      <p class="muted">No evidence recorded in this period.</p>
    )}
    {c.excerpts.map((x) => (
      <div>
        <small class="muted">
          {x.source} at {x.observed_at}:
        </small>
        <pre>{x.text}</pre>
      </div>
    ))}
  </section>
);

const RegisterTable: FC<{ reg: ReportRegister }> = ({ reg }) => (
  <section id={`register-${reg.id}`}>
    <h3>
      {reg.title} ({reg.rows.length})
    </h3>
    {reg.rows.length === 0 ? (
      <p class="muted">No entries.</p>
    ) : (
      <table>
        <tr>
          <th>#</th>
          {reg.fields.map((f) => (
            <th>{f.label}</th>
          ))}
        </tr>
        {reg.rows.map((row) => (
          <tr>
            <td class="num">{row.id}</td>
            {reg.fields.map((f) => (
              <td>{row[f.name] === null || row[f.name] === undefined ? "" : String(row[f.name])}</td>
            ))}
          </tr>
        ))}
      </table>
    )}
  </section>
);

/** The standalone HTML report (print styles embedded) with the seal printed in it: what the report's `render` is. */
export function renderEvidenceReportHtml(r: EvidenceReport, seal: ReportSeal): string {
  return `<!doctype html>${(<EvidenceReportPage r={r} seal={seal} />).toString()}`;
}

/** The whole report page. */
export const EvidenceReportPage: FC<{ r: EvidenceReport; seal: ReportSeal }> = ({ r, seal }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="gatehouse-report-content-sha256" content={seal.contentSha256} />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="gatehouse-report-format" content={r.format} />
      <title>
        HIPAA security evidence — {r.site} — {r.period.from} to {r.period.to}
      </title>
      <style>{REPORT_CSS}</style>
    </head>
    <body>
      <header id="summary">
        <h1>HIPAA security evidence report</h1>
        <table class="meta">
          <tr>
            <td>Site</td>
            <td>{r.site}</td>
          </tr>
          <tr>
            <td>Period</td>
            <td>
              {r.period.from} to {r.period.to} ({r.timezone}; {r.period.from_utc} to {r.period.to_utc})
            </td>
          </tr>
          <tr>
            <td>Data</td>
            <td>
              {r.period.data_from_utc === r.period.from_utc
                ? "covers the whole period"
                : `from ${r.period.data_from_utc}: Gatehouse began keeping evidence on ${r.installed_at}; before that there is no data (not counted as any state)`}
            </td>
          </tr>
          <tr>
            <td>Content digest (SHA-256)</td>
            <td>
              <code>{seal.contentSha256}</code>
            </td>
          </tr>
          <tr>
            <td>Generated</td>
            <td>
              {r.generated_at} by {r.generated_by}
            </td>
          </tr>
          <tr>
            <td>Controls (worst state in period)</td>
            <td>
              {r.summary.controls.green} green, {r.summary.controls.amber} amber, {r.summary.controls.red} red, {r.summary.controls.grey} without evidence
            </td>
          </tr>
          <tr>
            <td>Alerts in period</td>
            <td>
              {r.summary.alerts} ({r.summary.alerts_open_at_end} open at the end)
            </td>
          </tr>
          <tr>
            <td>Audit chain</td>
            <td class={r.audit.ok ? "ok" : "bad"}>{r.audit.ok ? "verified, unbroken" : "BROKEN"}</td>
          </tr>
        </table>
        <table>
          <tr>
            <th>Control</th>
            <th>HIPAA</th>
            <th>Worst in period</th>
            <th>At end</th>
            <th>Green</th>
          </tr>
          {r.controls.map((c) => (
            <tr>
              <td>
                <a href={`#control-${c.id}`}>{c.title}</a>
              </td>
              <td>{c.citations.join(", ")}</td>
              <td>
                <State s={c.worst_state} />
              </td>
              <td>
                <State s={c.end_state} />
              </td>
              <td class="num">{c.percent_in_state.green}%</td>
            </tr>
          ))}
        </table>
      </header>

      <section id="controls">
        <h2>Controls and evidence</h2>
        {r.controls.map((c) => (
          <ControlSection c={c} />
        ))}
      </section>

      <section id="alerts">
        <h2>Alerts and how they were resolved</h2>
        {r.alerts.length === 0 ? (
          <p>No alerts were open during the period.</p>
        ) : (
          <table>
            <tr>
              <th>Opened</th>
              <th>Severity</th>
              <th>Control</th>
              <th>Problem</th>
              <th>Resolution</th>
            </tr>
            {r.alerts.map((a) => (
              <tr>
                <td>{a.opened_at}</td>
                <td>{a.severity}</td>
                <td>{a.control ?? a.source}</td>
                <td>
                  {a.message}
                  <br />
                  <small class="muted">
                    {a.rule}
                    {a.subject ? ` (${a.subject})` : ""}
                  </small>
                </td>
                <td>
                  {a.resolution}
                  {a.resolved_at ? (
                    <>
                      <br />
                      <small class="muted">resolved {a.resolved_at}</small>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </table>
        )}
      </section>

      <section id="baselines">
        <h2>Baseline approvals</h2>
        {r.baseline_approvals.length === 0 ? (
          <p>No baselines were approved during the period.</p>
        ) : (
          <table>
            <tr>
              <th>When</th>
              <th>Monitor</th>
              <th>Approved by</th>
              <th>Reason</th>
            </tr>
            {r.baseline_approvals.map((b) => (
              <tr>
                <td>{b.at}</td>
                <td>{b.monitor}</td>
                <td>{b.actor}</td>
                <td>{b.reason || "(no reason given)"}</td>
              </tr>
            ))}
          </table>
        )}
      </section>

      <section id="doors">
        <h2>Door events after hours</h2>
        <p>
          {r.doors.configured ? `Sensors: ${r.doors.sensors.join(", ")}. ` : ""}
          {r.doors.note}.
        </p>
        {r.doors.after_hours.length ? (
          <table>
            <tr>
              <th>When</th>
              <th>Sensor</th>
              <th>State</th>
              <th>Outcome</th>
              <th>On site</th>
            </tr>
            {r.doors.after_hours.map((d) => (
              <tr>
                <td>{d.at}</td>
                <td>{d.sensor}</td>
                <td>{d.state ?? ""}</td>
                <td>{d.outcome === "alarm" ? "alarm raised" : "declared on site"}</td>
                <td>{d.onsite ? `${d.onsite.declared_by}: ${d.onsite.reason}` : ""}</td>
              </tr>
            ))}
          </table>
        ) : null}
      </section>

      <section id="registers">
        <h2>Compliance registers</h2>
        {r.registers.map((reg) => (
          <RegisterTable reg={reg} />
        ))}
      </section>

      <section id="audit">
        <h2>Audit log verification</h2>
        <p class={r.audit.ok ? "ok" : "bad"}>
          {r.audit.ok
            ? `The hash chain of all ${r.audit.rows} audit entries verified unbroken when this report was generated.`
            : `The hash chain is BROKEN at entry ${r.audit.broken_at}: ${r.audit.reason}`}
        </p>
        <p>{r.audit.entries_in_period} audit entries fall in the period. This report's generation is itself recorded in the audit log (action report.generate) with its SHA-256.</p>
      </section>

      <footer id="seal">
        <h2>Seal</h2>
        <p>
          This report is the rendering of its JSON twin, which holds the same data. The SHA-256 of the JSON twin (the content digest) is{" "}
          <code>{seal.contentSha256}</code>. The box's report key signed that content with Ed25519; the key's fingerprint (SHA-256 of its public key, DER) is{" "}
          <code>{seal.keyFingerprint}</code>.
        </p>
        <p>Signature (base64):</p>
        <pre>{seal.signature}</pre>
        <p>Public key:</p>
        <pre>{seal.publicKeyPem}</pre>
        <p class="muted">
          Format {r.format}. To check: gatehouse report verify FILE, or with sha256sum and openssl as the Gatehouse compliance README shows. A printed copy is checked by comparing the
          digest and fingerprint above with the JSON twin and the box's key.
        </p>
      </footer>
    </body>
  </html>
);
