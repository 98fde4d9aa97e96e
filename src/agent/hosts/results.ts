/**
 * Posture results between osquery and the store: only the catalog's queries are kept, and a
 * host's stored rows become the snapshot the judge reads. The store keeps rows; the meaning of a
 * query name and of a platform string lives here.
 */
import type { Db } from "../store/db.js";
import { hostResults, storeResults, type HostRow } from "../store/hosts.js";
import { isQueryName, type QueryName } from "./queries.js";
import { platformOf, type HostSnapshot, type QueryResult, type Row } from "./snapshot.js";

/** Stores the latest result of catalog queries (others are ignored); returns how many were kept. */
export function saveResults(db: Db, hostId: number, results: ReadonlyMap<string, { rows: Row[]; status: number }>, via: "logger" | "distributed" | "fleet", now: number): number {
  const kept = [...results].filter(([query]) => isQueryName(query)).map(([query, r]) => ({ query, status: r.status, rowsJson: JSON.stringify(r.rows) }));
  storeResults(db, hostId, kept, via, now);
  return kept.length;
}

/** The host as the judge sees it: contact time and the latest result of each catalog query. */
export function hostSnapshot(db: Db, host: HostRow): HostSnapshot {
  const results: Partial<Record<QueryName, QueryResult>> = {};
  for (const r of hostResults(db, host.id)) if (isQueryName(r.query)) results[r.query] = { rows: JSON.parse(r.rowsJson) as Row[], status: r.status, at: r.receivedAt };
  return { id: String(host.id), name: host.hostname || host.hostIdentifier, platform: platformOf(host.platform), lastSeenAt: host.lastSeenAt, results };
}
