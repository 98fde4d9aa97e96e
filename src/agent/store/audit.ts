// --- console reads
// (Imports aliased so this section merges below the module's own imports without a clash.)
import type { AuditRow as ConsoleAuditRow } from "../audit.js";
import type { Db as ConsoleDb } from "./db.js";
import { statementsFor as consoleStatementsFor } from "./statements.js";

/** A filter of the audit page: each field absent (null) or matched. */
export interface AuditFilter {
  actor: string | null;
  actionPrefix: string | null;
  from: number | null;
  to: number | null;
  limit: number;
}

const consoleAuditReads = consoleStatementsFor((db) => ({
  // One statement for every filter, an absent one NULL: the audit table has no index but its id,
  // so every variant walks it newest first until `limit` rows matched.
  query: db.prepare<[AuditFilter], ConsoleAuditRow>(
    `SELECT * FROM audit
     WHERE (@actor IS NULL OR actor = @actor)
       AND (@actionPrefix IS NULL OR substr(action, 1, length(@actionPrefix)) = @actionPrefix)
       AND (@from IS NULL OR at >= @from)
       AND (@to IS NULL OR at < @to)
     ORDER BY id DESC LIMIT @limit`,
  ),
  forTarget: db.prepare<[string, number], ConsoleAuditRow>("SELECT * FROM audit WHERE target = ? ORDER BY id DESC LIMIT ?"),
  reportByDigest: db.prepare<[string], { at: number; actor: string; target: string }>(
    `SELECT at, actor, target FROM audit WHERE action = 'report.generate'
       AND ? IN (json_extract(detail_json, '$.html_sha256'), json_extract(detail_json, '$.content_sha256'), json_extract(detail_json, '$.json_sha256'))
     ORDER BY id LIMIT 1`,
  ),
}));

/** Audit rows matching `f`, newest first (the audit page and its CSV export). */
export function filteredAuditRows(db: ConsoleDb, f: AuditFilter): ConsoleAuditRow[] {
  return consoleAuditReads(db).query.all(f);
}

/** Audit rows about one target (a register entry "baa:3"), newest first. */
export function auditRowsForTarget(db: ConsoleDb, target: string, limit: number): ConsoleAuditRow[] {
  return consoleAuditReads(db).forTarget.all(target, limit);
}

/** The first `report.generate` row whose detail holds this digest (of the JSON content, the HTML, or a format /1 seal). */
export function reportGenerationByDigest(db: ConsoleDb, sha256: string): { at: number; actor: string; target: string } | undefined {
  return consoleAuditReads(db).reportByDigest.get(sha256);
}
