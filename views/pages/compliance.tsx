/**
 * Compliance: the scorecard (state now and over 30/90/365 days, with citations, required or
 * addressable, and the 2025 proposed items), each register with add, edit, close, CSV import and
 * export and its history, and the evidence reports (generate, list, download, verify).
 */
import type { Child, FC } from "hono/jsx";
import type { ControlScore } from "../../src/agent/compliance/scorecard.js";
import { ScorecardTable } from "../reports/scorecard.js";
import { Message, Notice, ScrollBox, Time } from "../components/format.js";
import { RegisterFields, type FieldView } from "../components/register-form.js";
import { Layout, type Viewer } from "../layouts/console.js";
import type { AuditRowView } from "./admin.js";

export type { FieldView };

const STATE_LABEL = { green: "Green", amber: "Amber", red: "Red", grey: "No evidence" } as const;
const STATE_BADGE = { green: "badge badge-pass", amber: "badge badge-warn", red: "badge badge-fail", grey: "badge badge-unknown" } as const;

export interface RegisterLink {
  id: string;
  title: string;
  rows: number;
}

const Tabs: FC<{ current: string; registers: readonly RegisterLink[] }> = ({ current, registers }) => (
  <nav aria-label="Compliance" class="subnav">
    <ul>
      <li>
        <a href="/compliance" aria-current={current === "scorecard" ? "page" : undefined}>
          Scorecard
        </a>
      </li>
      {registers.map((r) => (
        <li>
          <a href={`/compliance/${r.id}`} aria-current={current === r.id ? "page" : undefined}>
            {r.title}
          </a>
        </li>
      ))}
      <li>
        <a href="/compliance/reports" aria-current={current === "reports" ? "page" : undefined}>
          Evidence reports
        </a>
      </li>
    </ul>
  </nav>
);

/** The scorecard page: the table, then each control with its citation, 2025 item and pictures. */
export const CompliancePage: FC<{ site: string; viewer: Viewer; tz: string; scores: readonly ControlScore[]; registers: readonly RegisterLink[]; charts: Record<string, Child> }> = (p) => (
  <Layout title="Compliance" site={p.site} viewer={p.viewer} current="/compliance">
    <Tabs current="scorecard" registers={p.registers} />
    <p class="hint">
      Each control of the HIPAA Security Rule checklist, its state now and the share of time it was green, amber or red. Citations are to 45 CFR Part 164. “Proposed 2025” is the matching
      item of the Security Rule update proposed on 6 January 2025 (not yet law).
    </p>
    <section aria-labelledby="scorecard-h">
      <h2 id="scorecard-h">Scorecard</h2>
      <ScrollBox label="Scorecard table">
        <ScorecardTable scores={p.scores} />
      </ScrollBox>
    </section>
    <section aria-labelledby="controls-h">
      <h2 id="controls-h">Each control</h2>
      <ul class="cards controls">
        {p.scores.map((s) => (
          <li id={`control-card-${s.control.id}`} data-state={s.state}>
            <h3>{s.control.title}</h3>
            <p>
              <span class={STATE_BADGE[s.state]}>{STATE_LABEL[s.state]}</span> <Message text={s.reason} />
            </p>
            <dl class="facts-list">
              <dt>HIPAA</dt>
              <dd>
                {s.control.citations.join(", ")} — {s.control.requirement}
              </dd>
              <dt>Proposed 2025</dt>
              <dd>{s.control.proposed2025 ?? "no change proposed"}</dd>
              <dt>Evidence</dt>
              <dd>{s.control.evidence}</dd>
            </dl>
            {p.charts[s.control.id] ?? null}
            {s.control.registers.map((r) => (
              <p>
                <a href={`/compliance/${r}`}>Open the register</a>
              </p>
            ))}
          </li>
        ))}
      </ul>
    </section>
  </Layout>
);

export interface RegisterRowView {
  id: number;
  values: Record<string, string>;
  updatedAt: number;
  /** Open incident, current BAA: something "Close" applies to. */
  closable: boolean;
}

/** An audit entry about a register or one of its entries (the audit page's row, without the address). */
export type HistoryView = Omit<AuditRowView, "address">;

export interface RegisterView {
  id: string;
  title: string;
  fields: readonly FieldView[];
  rows: RegisterRowView[];
  /** What "Close" does in this register, when it applies (incidents close, BAAs end). */
  closeLabel: string | undefined;
  canEdit: boolean;
  history: HistoryView[];
  maxImportKiB: number;
}

const History: FC<{ rows: HistoryView[]; tz: string; title: string }> = ({ rows, tz, title }) => (
  <section aria-labelledby="history-h" id="register-history">
    <h2 id="history-h">{title}</h2>
    {rows.length === 0 ? (
      <p>No changes recorded yet.</p>
    ) : (
      <ol class="history">
        {rows.map((h) => (
          <li>
            <Time ms={h.at} tz={tz} /> {h.actor}: <code>{h.action}</code> {h.target}
            {h.detail ? <div class="detail">{h.detail}</div> : null}
          </li>
        ))}
      </ol>
    )}
  </section>
);

const RowCard: FC<{ r: RegisterView; row: RegisterRowView }> = ({ r, row }) => (
  <li id={`row-${row.id}`}>
    <h3>
      <a href={`/compliance/${r.id}/${row.id}`}>
        #{row.id} {row.values[r.fields[0]!.name] || "(no value)"}
      </a>
    </h3>
    <dl class="facts-list">
      {r.fields.slice(1).map((f) =>
        row.values[f.name] ? (
          <>
            <dt>{f.label}</dt>
            <dd class="pre">{row.values[f.name]}</dd>
          </>
        ) : null,
      )}
    </dl>
    {r.canEdit && r.closeLabel && row.closable ? (
      <form method="post" action={`/compliance/${r.id}/${row.id}/close`} class="inline">
        <button type="submit">{r.closeLabel}</button>
      </form>
    ) : null}
  </li>
);

/** One register: its rows, add form, CSV import (with per-row errors) and export, history. */
export const RegisterPage: FC<{
  site: string;
  viewer: Viewer;
  tz: string;
  r: RegisterView;
  registers: readonly RegisterLink[];
  typed: Record<string, string>;
  importErrors?: { line: number; message: string }[] | undefined;
  error?: string | undefined;
  notice?: string | undefined;
}> = (p) => (
  <Layout title={p.r.title} site={p.site} viewer={p.viewer} current="/compliance">
    <Tabs current={p.r.id} registers={p.registers} />
    <Notice kind="ok" text={p.notice} />
    <Notice kind="error" text={p.error} id="register-error" />
    {p.importErrors?.length ? (
      <section class="notice notice-error" role="alert" id="import-errors" aria-labelledby="import-errors-h">
        <h2 id="import-errors-h">The file was not imported: nothing was changed</h2>
        <ul>
          {p.importErrors.map((e) => (
            <li>
              {e.line > 0 ? `Line ${e.line}: ` : ""}
              {e.message}
            </li>
          ))}
        </ul>
      </section>
    ) : null}
    <section aria-labelledby="rows-h">
      <h2 id="rows-h">
        Entries ({p.r.rows.length})
      </h2>
      {p.r.rows.length === 0 ? <p>No entries yet.</p> : null}
      <ul class="cards" id="register-rows">
        {p.r.rows.map((row) => (
          <RowCard r={p.r} row={row} />
        ))}
      </ul>
      <p>
        <a href={`/compliance/${p.r.id}/export.csv`} download={`gatehouse-${p.r.id}.csv`} id="export-link">
          Export as CSV
        </a>
      </p>
    </section>
    {p.r.canEdit ? (
      <>
        <form method="post" action={`/compliance/${p.r.id}`} class="stack narrow" id="add-form">
          <h2>Add an entry</h2>
          <RegisterFields fields={p.r.fields} values={p.typed} prefix="add" />
          <button type="submit">Add</button>
        </form>
        <form method="post" action={`/compliance/${p.r.id}/import`} enctype="multipart/form-data" class="stack narrow" id="import-form">
          <h2>Import from CSV</h2>
          <p class="hint">
            Columns by name: id (empty adds a row, a number updates it), {p.r.fields.map((f) => f.name).join(", ")}. Up to {Math.round(p.r.maxImportKiB / 1024)} MiB here; all rows or none are imported.
          </p>
          <label for="import-file">CSV file</label>
          <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
          <button type="submit">Import</button>
        </form>
      </>
    ) : (
      <p class="hint">Managers and administrators keep the registers; you can read and export them.</p>
    )}
    <History rows={p.r.history} tz={p.tz} title="Recent changes" />
  </Layout>
);

/** One entry: its fields, the edit form (managers), close, delete, and its history. */
export const RegisterRowPage: FC<{ site: string; viewer: Viewer; tz: string; r: RegisterView; row: RegisterRowView; registers: readonly RegisterLink[]; typed: Record<string, string>; error?: string | undefined; notice?: string | undefined }> = (p) => (
  <Layout title={`${p.r.title} #${p.row.id}`} site={p.site} viewer={p.viewer} current="/compliance">
    <Tabs current={p.r.id} registers={p.registers} />
    <Notice kind="ok" text={p.notice} />
    <Notice kind="error" text={p.error} id="register-error" />
    <p>
      Last changed <Time ms={p.row.updatedAt} tz={p.tz} />. <a href={`/compliance/${p.r.id}`}>Back to {p.r.title.toLowerCase()}</a>
    </p>
    {p.r.canEdit ? (
      <>
        <form method="post" action={`/compliance/${p.r.id}/${p.row.id}`} class="stack narrow" id="edit-form">
          <h2>Edit</h2>
          <RegisterFields fields={p.r.fields} values={p.typed} prefix="edit" />
          <button type="submit">Save changes</button>
        </form>
        {p.r.closeLabel && p.row.closable ? (
          <form method="post" action={`/compliance/${p.r.id}/${p.row.id}/close`} class="stack narrow" id="close-form">
            <button type="submit">{p.r.closeLabel}</button>
          </form>
        ) : null}
        <form method="post" action={`/compliance/${p.r.id}/${p.row.id}/delete`} class="stack narrow" id="delete-form">
          <p class="hint">Deleting keeps what the entry held in the audit log.</p>
          <button type="submit">Delete this entry</button>
        </form>
      </>
    ) : (
      <dl class="facts-list" id="row-fields">
        {p.r.fields.map((f) => (
          <>
            <dt>{f.label}</dt>
            <dd class="pre">{p.row.values[f.name] || "—"}</dd>
          </>
        ))}
      </dl>
    )}
    <History rows={p.r.history} tz={p.tz} title="History of this entry" />
  </Layout>
);

export interface ReportFileView {
  name: string;
  bytes: number;
  modifiedAt: number;
}

export interface VerifyView {
  file: string;
  /** The file's bytes are a report this box generated (or a format /1 seal holds). */
  ok: boolean;
  sha256: string | null;
  inAudit: { at: number; actor: string; period: string } | undefined;
  /** A report it claims to be (it prints that report's content digest) while its bytes differ. */
  claimed: { at: number; actor: string; period: string } | undefined;
}

/** Evidence reports: generate one for a period, the list of generated files, verify an upload. */
export const ReportsPage: FC<{
  site: string;
  viewer: Viewer;
  tz: string;
  registers: readonly RegisterLink[];
  files: ReportFileView[];
  canGenerate: boolean;
  defaults: { from: string; to: string };
  verified?: VerifyView | undefined;
  error?: string | undefined;
  notice?: string | undefined;
  maxVerifyKiB: number;
}> = (p) => (
  <Layout title="Evidence reports" site={p.site} viewer={p.viewer} current="/compliance">
    <Tabs current="reports" registers={p.registers} />
    <Notice kind="ok" text={p.notice} />
    <Notice kind="error" text={p.error} id="report-error" />
    {p.verified ? (
      <p id="verify-result" class={p.verified.ok ? "notice notice-ok" : "notice notice-error"} role="status">
        {p.verified.ok
          ? `${p.verified.file} is intact: ${p.verified.inAudit ? `exactly the report generated by ${p.verified.inAudit.actor} for ${p.verified.inAudit.period}, as the audit log records it` : "its format /1 seal matches, but this box's audit log has no record of it"} (SHA-256 ${p.verified.sha256 ?? ""}).`
          : p.verified.claimed
            ? `${p.verified.file} was ALTERED: it claims to be the report generated by ${p.verified.claimed.actor} for ${p.verified.claimed.period}, but its bytes differ from what was recorded.`
            : `${p.verified.file} does not match any report generated on this box (altered, or not from here).`}
      </p>
    ) : null}
    {p.canGenerate ? (
      <form method="post" action="/compliance/reports" class="stack narrow" id="report-form">
        <h2>Generate a report</h2>
        <label for="report-from">First day</label>
        <input id="report-from" name="from" type="date" value={p.defaults.from} required />
        <label for="report-to">Last day</label>
        <input id="report-to" name="to" type="date" value={p.defaults.to} required />
        <button type="submit">Generate</button>
      </form>
    ) : null}
    <section aria-labelledby="files-h">
      <h2 id="files-h">Generated reports</h2>
      {p.files.length === 0 ? (
        <p>No reports yet. The monthly report appears here on the first days of each month.</p>
      ) : (
        <ul class="cards" id="report-files">
          {p.files.map((f) => (
            <li>
              <a href={`/compliance/reports/${encodeURIComponent(f.name)}`} download={f.name}>
                {f.name}
              </a>{" "}
              <span class="hint">
                {Math.max(1, Math.round(f.bytes / 1024))} KiB, <Time ms={f.modifiedAt} tz={p.tz} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
    <form method="post" action="/compliance/reports/verify" enctype="multipart/form-data" class="stack narrow" id="verify-form">
      <h2>Verify a report</h2>
      <p class="hint">
        Upload a report's HTML or JSON file (up to {Math.round(p.maxVerifyKiB / 1024)} MiB): it must be byte for byte a report this box generated, as recorded in the audit log. The
        signatures can also be checked anywhere with <code>gatehouse report verify</code>.
      </p>
      <label for="verify-file">Report file</label>
      <input id="verify-file" name="file" type="file" accept=".html,.json,text/html,application/json" required />
      <button type="submit">Verify</button>
    </form>
  </Layout>
);
