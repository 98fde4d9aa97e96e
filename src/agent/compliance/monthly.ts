/**
 * The monthly evidence report for managers: on the first days of a month, the report for the
 * previous calendar month (site time zone) is generated once, kept under data_dir/reports/,
 * recorded in the audit log, and announced through the alert channels as its own message, also
 * when everything was green (silence must never pass for health).
 */
import { existsSync, mkdirSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { enqueue, type AlertContext } from "../alerts/engine.js";
import type { DigestEntry } from "../alerts/notification.js";
import { auditChain, type AuditChainStatus } from "../audit.js";
import { nullLogger, type Logger } from "../../kit/log.js";
import type { Db } from "../store/db.js";
import { attachReportToOutbox } from "../store/outbox.js";
import { addDays, localMidnight, previousMonth, siteToday } from "../../kit/time.js";
import { generateEvidenceReport, installedAt, type GeneratedReport, type ReportRenderer } from "./report.js";
import { loadOrCreateReportKey } from "./report-key.js";
import type { ControlState } from "./scorecard.js";

/** Writes a file atomically with owner-only permissions (reports hold register contents). */
function writePrivate(path: string, text: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

const DIGEST_STATUS: Record<Exclude<ControlState, "grey">, DigestEntry["status"]> = { green: "pass", amber: "warn", red: "fail" };

export interface MonthlyReportResult {
  month: string;
  htmlPath: string;
  jsonPath: string;
  generated: GeneratedReport;
  outboxIds: number[];
}

export interface MonthlyReportOptions {
  dataDir: string;
  timezone: string;
  reportUrl?: (month: string) => string;
  monitors?: readonly { id: string; control: string }[];
  /** The HTML view (views/reports/evidence-report.tsx renderEvidenceReportHtml): the agent never imports views. */
  render: ReportRenderer;
  /** Where a report that had to wait for the audit chain's verification reports its outcome. */
  log?: Logger;
  /** Called when a report that waited for the audit chain was written (to wake the delivery worker). */
  onLate?: (r: MonthlyReportResult) => void;
}

/**
 * The audit chain as the report states it: a full pass of this process completed and nothing
 * pending (or a break found). A short chain is brought there on the caller's time; a long one is
 * not, and undefined says to wait for the background walk.
 */
function settledAudit(db: Db): AuditChainStatus | undefined {
  const ready = (s: AuditChainStatus) => !s.ok || (s.fullPass.completedAt !== undefined && s.pending === 0);
  const chain = auditChain(db);
  const now = chain.status();
  if (ready(now)) return now;
  const settled = chain.settle();
  return ready(settled) ? settled : undefined;
}

/**
 * Generates last month's report unless it exists already (so the daemon may call this daily,
 * e.g. at 07:00 site time, and at start-up), writes it under `dataDir/reports` (HTML, JSON twin,
 * signature, public key), and announces it as its own notice (event "report": the files, the
 * content digest, the key fingerprint, each control's worst state in the month). Returns
 * undefined when the report exists already, or when the month ended before Gatehouse kept any
 * evidence (there is nothing to report: no "0 % green" for a month it never watched).
 *
 * The report states the audit chain's verification, so it waits for it: a long chain (a million
 * rows after an upgrade) is verified in the background, and the report is written when that is
 * done (then `onLate`), instead of holding up start-up for it. Undefined is returned meanwhile.
 */
export function runMonthlyReport(db: Db, ctx: AlertContext, opts: MonthlyReportOptions): MonthlyReportResult | undefined {
  const { from, to, month } = previousMonth(siteToday(ctx.now, opts.timezone));
  const dir = join(opts.dataDir, "reports");
  const base = join(dir, `evidence-${month}`);
  const files = { html: `${base}.html`, htmlSig: `${base}.html.sig`, json: `${base}.json`, sig: `${base}.json.sig`, pub: `${base}.pub.pem` };
  if (existsSync(files.html) && existsSync(files.json)) return undefined;
  const installed = installedAt(db);
  if (localMidnight(addDays(to, 1), opts.timezone) <= installed) return undefined;
  const audit = settledAudit(db);
  if (!audit) {
    void auditChain(db)
      .walk()
      .then(() => {
        if (!db.open) return;
        try {
          const late = runMonthlyReport(db, ctx, opts);
          if (late) opts.onLate?.(late);
        } catch (e) {
          (opts.log ?? nullLogger).error({ month, err: (e as Error).message }, "monthly evidence report failed");
        }
      });
    return undefined;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = loadOrCreateReportKey(opts.dataDir);
  const generated = db.transaction(() =>
    generateEvidenceReport(db, { site: ctx.site, timezone: opts.timezone, from, to, now: ctx.now, actor: "gatehouse", purpose: "monthly", key, audit, render: opts.render, ...(opts.monitors ? { monitors: opts.monitors } : {}) }),
  )();
  writePrivate(files.sig, Buffer.from(generated.seal.signature, "base64"));
  writePrivate(files.htmlSig, Buffer.from(generated.html.signature, "base64"));
  writePrivate(files.pub, generated.seal.publicKeyPem);
  writePrivate(files.json, generated.json.text);
  writePrivate(files.html, generated.html.text);
  const r = generated.report;
  const partial = r.period.data_from_utc !== r.period.from_utc;
  const digest: DigestEntry[] = r.controls.map((c) => {
    const watched = c.time_in_state_ms.green + c.time_in_state_ms.amber + c.time_in_state_ms.red;
    if (c.worst_state === "grey" || watched === 0) return { control: c.id, status: c.evidence.length ? "no data" : "unwatched", open: 0, detail: `${c.title}: no data in ${month}` };
    return { control: c.id, status: DIGEST_STATUS[c.worst_state], open: 0, detail: `${c.title}: ${c.percent_in_state.green}% green${partial ? ` since ${r.period.data_from_utc.slice(0, 10)}` : ""}, worst ${c.worst_state}` };
  });
  const link = opts.reportUrl?.(month);
  const notice = {
    month,
    from,
    to,
    htmlPath: files.html,
    jsonPath: files.json,
    contentSha256: generated.seal.contentSha256,
    keyFingerprint: generated.seal.keyFingerprint,
    counts: r.summary.controls,
    ...(link ? { link } : {}),
    ...(partial ? { installedAt: r.installed_at } : {}),
  };
  const outboxIds = db.transaction(() =>
    enqueue(db, { ...ctx, ...(link ? { consoleUrl: link } : {}) }, "report", [
      {
        alertId: null,
        severity: "info",
        source: "compliance",
        rule: "compliance.monthly_report",
        subject: month,
        message: `HIPAA evidence report for ${month} is ready: ${files.html} (content digest ${generated.seal.contentSha256})`,
        since: ctx.now,
      },
    ]).map((id) => {
      // enqueue takes no extra fields: add them in the same transaction.
      attachReportToOutbox(db, id, digest, notice);
      return id;
    }),
  )();
  return { month, htmlPath: files.html, jsonPath: files.json, generated, outboxIds };
}
