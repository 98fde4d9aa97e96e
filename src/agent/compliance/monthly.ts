/**
 * The monthly evidence report for managers: on the first days of a month, the report for the
 * previous calendar month (site time zone) is generated once, kept under data_dir/reports/,
 * recorded in the audit log, and announced through the alert channels with a link, also when
 * everything was green (silence must never pass for health).
 */
import { existsSync, mkdirSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { enqueue, type AlertContext } from "../alerts/engine.js";
import type { DigestEntry } from "../alerts/notification.js";
import type { Db } from "../store/db.js";
import { addDays } from "./registers.js";
import { generateEvidenceReport, type GeneratedReport } from "./report.js";
import { siteToday } from "./evaluate.js";
import type { ControlState } from "./scorecard.js";

/** The previous calendar month at the site: first and last day, and "YYYY-MM". */
export function previousMonth(now: number, timezone: string): { from: string; to: string; month: string } {
  const today = siteToday(now, timezone);
  const firstOfThis = `${today.slice(0, 7)}-01`;
  const to = addDays(firstOfThis, -1);
  return { from: `${to.slice(0, 7)}-01`, to, month: to.slice(0, 7) };
}

/** Writes a file atomically with owner-only permissions (reports hold register contents). */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

const DIGEST_STATUS: Record<ControlState, string> = { green: "pass", amber: "warn", red: "fail", grey: "unwatched" };

export interface MonthlyReportResult {
  month: string;
  htmlPath: string;
  jsonPath: string;
  generated: GeneratedReport;
  outboxIds: number[];
}

/**
 * Generates last month's report unless it exists already (so the daemon may call this daily,
 * e.g. at 07:00 site time, and at start-up), writes it under `dataDir/reports`, and enqueues a
 * "digest" notification listing each control's worst state with a link to the report.
 * Returns undefined when this month's report was already made.
 */
export function runMonthlyReport(
  db: Db,
  ctx: AlertContext,
  opts: { dataDir: string; timezone: string; reportUrl?: (month: string) => string },
): MonthlyReportResult | undefined {
  const { from, to, month } = previousMonth(ctx.now, opts.timezone);
  const dir = join(opts.dataDir, "reports");
  const htmlPath = join(dir, `evidence-${month}.html`);
  const jsonPath = join(dir, `evidence-${month}.json`);
  if (existsSync(htmlPath) && existsSync(jsonPath)) return undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const generated = db.transaction(() => generateEvidenceReport(db, { site: ctx.site, timezone: opts.timezone, from, to, now: ctx.now, actor: "gatehouse", purpose: "monthly" }))();
  writePrivate(jsonPath, generated.json.text);
  writePrivate(htmlPath, generated.html.text);
  const r = generated.report;
  const digest: DigestEntry[] = r.controls.map((c) => ({
    control: c.id,
    status: DIGEST_STATUS[c.worst_state],
    open: 0,
    detail: `${c.title}: ${c.percent_in_state.green}% green in ${month}`,
  }));
  const link = opts.reportUrl?.(month);
  const outboxIds = db.transaction(() =>
    enqueue(db, { ...ctx, ...(link ? { consoleUrl: link } : {}) }, "digest", [
      {
        alertId: null,
        severity: "info",
        source: "compliance",
        rule: "compliance.monthly_report",
        subject: month,
        message: `Monthly HIPAA evidence report for ${month} (${from} to ${to}) is ready${link ? `: ${link}` : ` on the Gatehouse box: ${htmlPath}`}. SHA-256 ${generated.html.sha256}. Controls: ${r.summary.controls.green} green, ${r.summary.controls.amber} amber, ${r.summary.controls.red} red, ${r.summary.controls.grey} without evidence.`,
        since: ctx.now,
      },
    ]).map((id) => {
      // enqueue takes no digest entries: add them in the same transaction so every channel
      // can list the controls.
      db.prepare("UPDATE outbox SET payload_json = json_set(payload_json, '$.digest', json(?)) WHERE id = ?").run(JSON.stringify(digest), id);
      return id;
    }),
  )();
  return { month, htmlPath, jsonPath, generated, outboxIds };
}
