/**
 * Compliance pages: the scorecard, the five registers (managers keep them, viewers read them;
 * every change audited by the register functions themselves), CSV import with per-row errors and
 * export, and the evidence reports (generated for a period, listed, downloaded, verified).
 * Everything goes through the public functions of src/agent/compliance.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { appendAudit } from "../../agent/audit.js";
import { addDays, siteToday } from "../../kit/time.js";
import {
  addRegisterRow,
  deleteRegisterRow,
  exportRegisterCsv,
  getRegisterRow,
  importRegisterCsv,
  listRegister,
  REGISTER_IDS,
  RegisterError,
  REGISTERS,
  RegisterValidationError,
  updateRegisterRow,
  type RegisterActor,
  type RegisterId,
  type RegisterRow,
} from "../../agent/compliance/registers.js";
import { generateEvidenceReport, ReportError, sha256Hex, verifySealedReport } from "../../agent/compliance/report.js";
import { loadOrCreateReportKey } from "../../agent/compliance/report-key.js";
import { percentInState, scorecard, type ControlScore } from "../../agent/compliance/scorecard.js";
import { StateBars } from "../../../views/components/charts.js";
import type { Db } from "../../agent/store/db.js";
import type { Ctx } from "../context.js";
import { auditForTarget, auditRowView, auditWithPrefix, reportInAudit } from "../data.js";
import { idParam, readForm } from "../forms.js";
import { respond } from "../render.js";
import type { Routes } from "./table.js";
import { MessagePage } from "../../../views/pages/auth.js";
import { renderEvidenceReportHtml } from "../../../views/reports/evidence-report.js";
import { CompliancePage, RegisterPage, RegisterRowPage, ReportsPage, type RegisterRowView, type RegisterView, type VerifyView } from "../../../views/pages/compliance.js";

/** The console's request body limit for uploads (CSV imports, reports to verify); app.tsx applies it. */
export const UPLOAD_LIMIT = 4 * 1024 * 1024;
/** Paths that take an upload (multipart) and so get UPLOAD_LIMIT instead of the console's 64 KiB. */
export const UPLOAD_PATH = /^\/compliance\/(?:[a-z_]+\/import|reports\/verify)$/;

/** Report files: the HTML, its JSON twin, their Ed25519 signatures and the box's public key. */
const REPORT_FILE = /^evidence-[A-Za-z0-9_-][A-Za-z0-9._-]{0,80}\.(html|json|html\.sig|json\.sig|pub\.pem)$/;
const REPORT_TYPES: [RegExp, string][] = [
  [/\.html$/, "text/html; charset=utf-8"],
  [/\.json$/, "application/json; charset=utf-8"],
  [/\.pem$/, "application/x-pem-file"],
  [/\.sig$/, "application/octet-stream"],
];

const viewerOf = (c: Ctx) => ({ username: c.var.auth!.user.username, role: c.var.auth!.user.role });
const actorOf = (c: Ctx): RegisterActor => ({ name: `user:${c.var.auth!.user.username}`, role: c.var.auth!.user.role, address: c.var.address });
const canEdit = (c: Ctx) => c.var.auth!.user.role !== "viewer";

const registerOf = (s: string | undefined): RegisterId | undefined => (REGISTER_IDS as readonly string[]).includes(s ?? "") ? (s as RegisterId) : undefined;

const notFound = (c: Ctx, what: string) => respond(c, { page: () => <MessagePage site={c.var.web.config.site} viewer={viewerOf(c)} title="Not found" text={`No such ${what}.`} /> }, 404);

function registerLinks(c: Ctx) {
  return REGISTER_IDS.map((id) => ({ id, title: REGISTERS[id].title, rows: listRegister(c.var.web.db, id).length }));
}

const asText = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const rowValues = (id: RegisterId, row: RegisterRow) => Object.fromEntries(REGISTERS[id].fields.map((f) => [f.name, asText(row[f.name])]));

/** What "Close" means: an incident is closed today; a BAA ends today. Other registers record events. */
const CLOSE: Partial<Record<RegisterId, { label: string; field: string; open: (row: RegisterRow, today: string) => boolean }>> = {
  incident: { label: "Close this incident today", field: "closed_on", open: (r) => r.closed_on === null },
  baa: { label: "End this agreement today", field: "expires_on", open: (r, today) => r.expires_on === null || String(r.expires_on) > today },
};

function registerView(c: Ctx, id: RegisterId, rowId?: number): RegisterView {
  const web = c.var.web;
  const today = siteToday(web.now(), web.config.timezone);
  const close = CLOSE[id];
  const rows: RegisterRowView[] = listRegister(web.db, id).map((row) => ({ id: row.id, values: rowValues(id, row), updatedAt: row.updated_at, closable: close ? close.open(row, today) : false }));
  return {
    id,
    title: REGISTERS[id].title,
    fields: REGISTERS[id].fields,
    rows,
    closeLabel: close?.label,
    canEdit: canEdit(c),
    history: (rowId === undefined ? auditWithPrefix(web.db, `register.${id}.`, 30) : auditForTarget(web.db, `${id}:${rowId}`, 100)).map(auditRowView),
    maxImportKiB: UPLOAD_LIMIT / 1024,
  };
}

type Status = 200 | 400 | 403 | 404 | 409 | 413;
type PageOpts = { typed?: Record<string, string>; error?: string; notice?: string; importErrors?: { line: number; message: string }[] };

function registerPage(c: Ctx, id: RegisterId, opts: PageOpts = {}, status: Status = 200) {
  const web = c.var.web;
  return respond(
    c,
    {
      page: () => (
        <RegisterPage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} r={registerView(c, id)} registers={registerLinks(c)} typed={opts.typed ?? {}} importErrors={opts.importErrors} error={opts.error} notice={opts.notice} />
      ),
    },
    status as 200,
  );
}

function rowPage(c: Ctx, id: RegisterId, rowId: number, opts: PageOpts = {}, status: Status = 200) {
  const web = c.var.web;
  const r = registerView(c, id, rowId);
  const row = r.rows.find((x) => x.id === rowId);
  if (!row) return notFound(c, "entry");
  return respond(
    c,
    { page: () => <RegisterRowPage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} r={r} row={row} registers={registerLinks(c)} typed={opts.typed ?? row.values} error={opts.error} notice={opts.notice} /> },
    status as 200,
  );
}

/** The typed form fields, as strings (files and unknown fields dropped). */
async function typedFields(c: Ctx, id: RegisterId): Promise<Record<string, string> | undefined> {
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header("Content-Type") ?? "")) return undefined;
  try {
    const body = await c.req.parseBody();
    return Object.fromEntries(REGISTERS[id].fields.map((f) => [f.name, typeof body[f.name] === "string" ? (body[f.name] as string) : ""]));
  } catch {
    return undefined;
  }
}

/** An uploaded text file from a multipart form, or a sentence saying what is wrong with it. */
async function uploadedText(c: Ctx): Promise<{ name: string; text: string } | { error: string }> {
  if (!/^multipart\/form-data\b/i.test(c.req.header("Content-Type") ?? "")) return { error: "Choose a file to upload." };
  let body: Record<string, unknown>;
  try {
    body = (await c.req.parseBody()) as Record<string, unknown>;
  } catch {
    return { error: "The upload could not be read." };
  }
  const file = body.file;
  if (!(file instanceof File) || file.size === 0) return { error: "Choose a file to upload." };
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { error: `${file.name.slice(0, 100)} is not a UTF-8 text file.` };
  }
  return { name: file.name.replace(/[^\w.\- ]/g, "_").slice(0, 100), text };
}

const reportForm = z.object({ from: z.string().max(20), to: z.string().max(20) });

/** Writes a file atomically, owner-only (reports hold register contents). */
function writePrivate(path: string, text: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Each control's 30/90/365-day picture, keyed by control id. */
function controlCharts(scores: readonly ControlScore[]) {
  return Object.fromEntries(
    scores.map((s) => [s.control.id, <StateBars id={`bars-${s.control.id}`} title={`${s.control.title}, share of time in each state`} windows={s.history.map((h) => ({ days: h.days, percent: percentInState(h.ms) }))} />]),
  );
}

/**
 * An uploaded report checked against this box's tamper-evident audit log: its bytes must be a
 * report (HTML, or JSON content) recorded by `report.generate`; an HTML that prints a recorded
 * content digest but whose bytes differ was altered. Format /1 files carry their own seal.
 */
function verifyUpload(db: Db, file: string, text: string): VerifyView {
  if (text.includes('content="gatehouse-evidence-report/1"') || text.includes('"format": "gatehouse-evidence-report/1"')) {
    const v = verifySealedReport(text);
    return { file, ok: v.ok, sha256: v.sha256, inAudit: v.ok && v.sha256 ? reportInAudit(db, v.sha256) : undefined, claimed: undefined };
  }
  const sha256 = sha256Hex(text);
  const rec = reportInAudit(db, sha256);
  const printed = /<code>([0-9a-f]{64})<\/code>/.exec(text)?.[1];
  return { file, ok: rec !== undefined, sha256, inAudit: rec, claimed: rec ? undefined : printed ? reportInAudit(db, printed) : undefined };
}

export function complianceRoutes(r: Routes): void {
  r.add({ method: "GET", path: "/compliance", access: "viewer" }, (c) => {
    const web = c.var.web;
    const now = web.now();
    const scores = scorecard(web.db, { now, timezone: web.config.timezone, monitors: web.config.monitors.map((m) => m.monitor) });
    return respond(c, { page: () => <CompliancePage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} scores={scores} registers={registerLinks(c)} charts={controlCharts(scores)} /> });
  });

  // Reports first: /compliance/reports must not be taken for a register called "reports".
  const reportsDir = (c: Ctx) => join(c.var.web.config.dataDir, "reports");
  const reportsPage = (c: Ctx, opts: { error?: string; notice?: string; verified?: VerifyView } = {}, status: Status = 200) => {
    const web = c.var.web;
    const dir = reportsDir(c);
    const files = existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => REPORT_FILE.test(n))
          .map((name) => {
            const st = statSync(join(dir, name));
            return { name, bytes: st.size, modifiedAt: st.mtimeMs };
          })
          .sort((a, b) => b.modifiedAt - a.modifiedAt || a.name.localeCompare(b.name))
      : [];
    const today = siteToday(web.now(), web.config.timezone);
    const defaults = { from: `${addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7)}-01`, to: addDays(`${today.slice(0, 7)}-01`, -1) };
    return respond(
      c,
      { page: () => <ReportsPage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} registers={registerLinks(c)} files={files} canGenerate={canEdit(c)} defaults={defaults} maxVerifyKiB={UPLOAD_LIMIT / 1024} {...opts} /> },
      status as 200,
    );
  };

  r.add({ method: "GET", path: "/compliance/reports", access: "viewer" }, (c) => {
    const made = c.req.query("generated");
    return reportsPage(c, made && REPORT_FILE.test(made) ? { notice: `Report generated: ${made} (and its JSON twin).` } : {});
  });

  r.add({ method: "POST", path: "/compliance/reports", access: "manager" }, async (c) => {
    const web = c.var.web;
    const f = await readForm(c, reportForm);
    if (!f.ok) return reportsPage(c, { error: f.message }, 400);
    let made: ReturnType<typeof generateEvidenceReport>;
    try {
      const key = loadOrCreateReportKey(web.config.dataDir);
      made = web.db.transaction(() =>
        generateEvidenceReport(web.db, {
          site: web.config.site,
          timezone: web.config.timezone,
          from: f.data.from,
          to: f.data.to,
          now: web.now(),
          actor: actorOf(c).name,
          address: c.var.address,
          purpose: "console",
          monitors: web.config.monitors.map((m) => m.monitor),
          key,
          render: renderEvidenceReportHtml,
        }),
      )();
    } catch (e) {
      if (e instanceof ReportError) return reportsPage(c, { error: e.message.replace(/^--to /, "the last day ").replace(/--from /, "") }, 400);
      throw e;
    }
    const dir = reportsDir(c);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const base = `evidence-${f.data.from}_${f.data.to}-${made.auditId}`;
    // The same five files as the CLI and the monthly job: what `gatehouse report verify` reads.
    writePrivate(join(dir, `${base}.json.sig`), Buffer.from(made.seal.signature, "base64"));
    writePrivate(join(dir, `${base}.html.sig`), Buffer.from(made.html.signature, "base64"));
    writePrivate(join(dir, `${base}.pub.pem`), made.seal.publicKeyPem);
    writePrivate(join(dir, `${base}.json`), made.json.text);
    writePrivate(join(dir, `${base}.html`), made.html.text);
    return c.redirect(`/compliance/reports?generated=${encodeURIComponent(`${base}.html`)}`, 303);
  });

  r.add({ method: "POST", path: "/compliance/reports/verify", access: "viewer" }, async (c) => {
    const web = c.var.web;
    const up = await uploadedText(c);
    if ("error" in up) return reportsPage(c, { error: up.error }, 400);
    const verified = verifyUpload(web.db, up.name, up.text);
    appendAudit(web.db, { at: web.now(), actor: actorOf(c).name, action: "report.verify", target: up.name, address: c.var.address, detail: { ok: verified.ok, sha256: verified.sha256 } });
    return reportsPage(c, { verified });
  });

  r.add({ method: "GET", path: "/compliance/reports/:name", access: "viewer" }, (c) => {
    const web = c.var.web;
    const name = c.req.param("name") ?? "";
    const path = join(reportsDir(c), name);
    if (!REPORT_FILE.test(name) || !existsSync(path)) return notFound(c, "report");
    appendAudit(web.db, { at: web.now(), actor: actorOf(c).name, action: "report.download", target: name, address: c.var.address });
    // Served as a download, never as a console page: the report embeds its print styles.
    return c.body(readFileSync(path), 200, {
      "Content-Type": REPORT_TYPES.find(([re]) => re.test(name))![1],
      "Content-Disposition": `attachment; filename="${name}"`,
    });
  });

  r.add({ method: "GET", path: "/compliance/:register", access: "viewer" }, (c) => {
    const id = registerOf(c.req.param("register"));
    if (!id) return notFound(c, "register");
    const done = c.req.query("done");
    return registerPage(c, id, done === "added" ? { notice: "Entry added." } : done === "imported" ? { notice: `Imported: ${c.req.query("added") ?? 0} added, ${c.req.query("updated") ?? 0} updated.` } : done === "deleted" ? { notice: "Entry deleted (kept in the audit log)." } : {});
  });

  r.add({ method: "GET", path: "/compliance/:register/export.csv", access: "viewer" }, (c) => {
    const web = c.var.web;
    const id = registerOf(c.req.param("register"));
    if (!id) return notFound(c, "register");
    const csv = exportRegisterCsv(web.db, id);
    appendAudit(web.db, { at: web.now(), actor: actorOf(c).name, action: `register.${id}.export`, target: id, address: c.var.address });
    return c.body(csv, 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="gatehouse-${id}.csv"` });
  });

  r.add({ method: "POST", path: "/compliance/:register/import", access: "manager" }, async (c) => {
    const web = c.var.web;
    const id = registerOf(c.req.param("register"));
    if (!id) return notFound(c, "register");
    const up = await uploadedText(c);
    if ("error" in up) return registerPage(c, id, { error: up.error }, 400);
    const res = importRegisterCsv(web.db, actorOf(c), id, up.text, web.now());
    if (!res.ok) return registerPage(c, id, { importErrors: res.errors }, 400);
    return c.redirect(`/compliance/${id}?done=imported&added=${res.added}&updated=${res.updated}`, 303);
  });

  r.add({ method: "POST", path: "/compliance/:register", access: "manager" }, async (c) => {
    const web = c.var.web;
    const id = registerOf(c.req.param("register"));
    if (!id) return notFound(c, "register");
    const typed = await typedFields(c, id);
    if (!typed) return registerPage(c, id, { error: "Expected a form submission." }, 400);
    try {
      addRegisterRow(web.db, actorOf(c), id, typed, web.now());
    } catch (e) {
      if (e instanceof RegisterValidationError) return registerPage(c, id, { typed, error: `Not added: ${e.errors.join("; ")}.` }, 400);
      throw e;
    }
    return c.redirect(`/compliance/${id}?done=added`, 303);
  });

  const withRow = (c: Ctx): { id: RegisterId; rowId: number; row: RegisterRow } | undefined => {
    const id = registerOf(c.req.param("register"));
    const rowId = idParam(c.req.param("id"));
    const row = id && rowId !== undefined ? getRegisterRow(c.var.web.db, id, rowId) : undefined;
    return id && rowId !== undefined && row ? { id, rowId, row } : undefined;
  };

  r.add({ method: "GET", path: "/compliance/:register/:id", access: "viewer" }, (c) => {
    const x = withRow(c);
    if (!x) return notFound(c, "entry");
    const done = c.req.query("done");
    return rowPage(c, x.id, x.rowId, done === "saved" ? { notice: "Saved." } : done === "closed" ? { notice: "Closed." } : {});
  });

  r.add({ method: "POST", path: "/compliance/:register/:id", access: "manager" }, async (c) => {
    const web = c.var.web;
    const x = withRow(c);
    if (!x) return notFound(c, "entry");
    const typed = await typedFields(c, x.id);
    if (!typed) return rowPage(c, x.id, x.rowId, { error: "Expected a form submission." }, 400);
    try {
      updateRegisterRow(web.db, actorOf(c), x.id, x.rowId, typed, web.now());
    } catch (e) {
      if (e instanceof RegisterValidationError) return rowPage(c, x.id, x.rowId, { typed, error: `Not saved: ${e.errors.join("; ")}.` }, 400);
      throw e;
    }
    return c.redirect(`/compliance/${x.id}/${x.rowId}?done=saved`, 303);
  });

  r.add({ method: "POST", path: "/compliance/:register/:id/close", access: "manager" }, (c) => {
    const web = c.var.web;
    const x = withRow(c);
    if (!x) return notFound(c, "entry");
    const close = CLOSE[x.id];
    const today = siteToday(web.now(), web.config.timezone);
    if (!close || !close.open(x.row, today)) return rowPage(c, x.id, x.rowId, { error: close ? "This entry is closed already." : "Entries of this register are not closed; edit or delete them." }, 409);
    try {
      updateRegisterRow(web.db, actorOf(c), x.id, x.rowId, { ...rowValues(x.id, x.row), [close.field]: today }, web.now());
    } catch (e) {
      if (e instanceof RegisterValidationError) return rowPage(c, x.id, x.rowId, { error: `Not closed: ${e.errors.join("; ")}.` }, 400);
      throw e;
    }
    return c.redirect(`/compliance/${x.id}/${x.rowId}?done=closed`, 303);
  });

  r.add({ method: "POST", path: "/compliance/:register/:id/delete", access: "manager" }, (c) => {
    const web = c.var.web;
    const x = withRow(c);
    if (!x) return notFound(c, "entry");
    try {
      deleteRegisterRow(web.db, actorOf(c), x.id, x.rowId, web.now());
    } catch (e) {
      if (e instanceof RegisterError) return rowPage(c, x.id, x.rowId, { error: e.message }, 409);
      throw e;
    }
    return c.redirect(`/compliance/${x.id}?done=deleted`, 303);
  });
}
