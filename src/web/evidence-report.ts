/**
 * The evidence report's HTML for the callers outside the console — the daemon's monthly job and
 * `gatehouse report` — which pass it to the report as `render`: views are the console's (only
 * src/web imports them), and the agent builds the report as plain data.
 */
export { renderEvidenceReportHtml } from "../../views/reports/evidence-report.js";
