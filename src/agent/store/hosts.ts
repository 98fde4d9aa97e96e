/**
 * The osquery host tables: enrolment (node keys stored as SHA-256 digests only), contact times,
 * and the latest result of each posture query. Parameterized SQL only.
 */
import { createHash, randomBytes } from "node:crypto";
import { isQueryName, type HostPlatform, type QueryName } from "../hosts/queries.js";
import { platformOf, type HostSnapshot, type QueryResult, type Row } from "../hosts/snapshot.js";
import type { Db } from "./db.js";
import { findingsWithSourcePrefix } from "./findings.js";
import { statementsFor } from "./statements.js";

export interface HostRow {
  id: number;
  hostIdentifier: string;
  hostname: string;
  platform: HostPlatform | undefined;
  osName: string;
  osVersion: string;
  osqueryVersion: string;
  hardwareSerial: string;
  enrolledAt: number;
  lastSeenAt: number;
  lastAddress: string;
  lastResultsAt: number | undefined;
  distributedDue: boolean;
  distributedSentAt: number | undefined;
  offline: boolean;
}

interface DbRow {
  id: number;
  host_identifier: string;
  hostname: string;
  platform: string;
  os_name: string;
  os_version: string;
  osquery_version: string;
  hardware_serial: string;
  enrolled_at: number;
  last_seen_at: number;
  last_address: string;
  last_results_at: number | null;
  distributed_due: number;
  distributed_sent_at: number | null;
  offline: number;
}

const fromRow = (r: DbRow): HostRow => ({
  id: r.id,
  hostIdentifier: r.host_identifier,
  hostname: r.hostname,
  platform: platformOf(r.platform),
  osName: r.os_name,
  osVersion: r.os_version,
  osqueryVersion: r.osquery_version,
  hardwareSerial: r.hardware_serial,
  enrolledAt: r.enrolled_at,
  lastSeenAt: r.last_seen_at,
  lastAddress: r.last_address,
  lastResultsAt: r.last_results_at ?? undefined,
  distributedDue: r.distributed_due === 1,
  distributedSentAt: r.distributed_sent_at ?? undefined,
  offline: r.offline === 1,
});

const statements = statementsFor((db: Db) => ({
  idByIdentifier: db.prepare<[string], number>("SELECT id FROM osquery_hosts WHERE host_identifier = ?").pluck(),
  reenroll: db.prepare<[string, string, string, string, string, string, string, number, string, number, string, number]>(
    `UPDATE osquery_hosts SET node_key_sha256 = ?, hostname = ?, platform = ?, os_name = ?, os_version = ?, osquery_version = ?,
       hardware_serial = ?, enrolled_at = ?, enrolled_from = ?, last_seen_at = ?, last_address = ?, distributed_due = 1, distributed_sent_at = NULL
     WHERE id = ?`,
  ),
  count: db.prepare<[], number>("SELECT count(*) FROM osquery_hosts").pluck(),
  enroll: db.prepare<[string, string, string, string, string, string, string, string, number, string, number, string]>(
    `INSERT INTO osquery_hosts (host_identifier, node_key_sha256, hostname, platform, os_name, os_version, osquery_version, hardware_serial,
       enrolled_at, enrolled_from, last_seen_at, last_address)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  byKeyDigest: db.prepare<[string], DbRow>("SELECT * FROM osquery_hosts WHERE node_key_sha256 = ?"),
  touch: db.prepare<[number, string, number]>("UPDATE osquery_hosts SET last_seen_at = ?, last_address = ? WHERE id = ?"),
  byId: db.prepare<[number], DbRow>("SELECT * FROM osquery_hosts WHERE id = ?"),
  all: db.prepare<[], DbRow>("SELECT * FROM osquery_hosts ORDER BY hostname COLLATE NOCASE, id"),
  saveResult: db.prepare<[number, string, number, string, number, string]>(
    `INSERT INTO osquery_results (host_id, query, status, rows_json, received_at, via) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (host_id, query) DO UPDATE SET status = excluded.status, rows_json = excluded.rows_json, received_at = excluded.received_at, via = excluded.via`,
  ),
  resultsAt: db.prepare<[number, number]>("UPDATE osquery_hosts SET last_results_at = ? WHERE id = ?"),
  platform: db.prepare<[string, string, string, number]>("UPDATE osquery_hosts SET platform = ?, os_name = ?, os_version = ? WHERE id = ?"),
  distributedSent: db.prepare<[number, number]>("UPDATE osquery_hosts SET distributed_sent_at = ? WHERE id = ?"),
  distributedDone: db.prepare<[number]>("UPDATE osquery_hosts SET distributed_due = 0 WHERE id = ?"),
  offline: db.prepare<[number, number]>("UPDATE osquery_hosts SET offline = ? WHERE id = ?"),
  results: db.prepare<[number], { query: string; status: number; rows_json: string; received_at: number }>(
    "SELECT query, status, rows_json, received_at FROM osquery_results WHERE host_id = ?",
  ),
  remove: db.prepare<[number]>("DELETE FROM osquery_hosts WHERE id = ?"),
}));

/** The stored form of a node key: its SHA-256, hex. The key itself is never stored. */
export const nodeKeyDigest = (nodeKey: string): string => createHash("sha256").update(nodeKey, "utf8").digest("hex");

/** A fresh node key: 32 random bytes, base64url (43 characters). */
export const newNodeKey = (): string => randomBytes(32).toString("base64url");

export interface EnrollDetails {
  hostIdentifier: string;
  hostname: string;
  platform: string;
  osName: string;
  osVersion: string;
  osqueryVersion: string;
  hardwareSerial: string;
  address: string;
}

export type EnrollOutcome = { ok: true; hostId: number; nodeKey: string; renewed: boolean } | { ok: false; reason: "host limit reached" };

/**
 * Enrols a host, or re-enrols it under the same host identifier (osquery lost its database):
 * a new node key replaces the old one, which stops working at once. New hosts beyond `maxHosts`
 * are refused.
 */
export function enrollHost(db: Db, d: EnrollDetails, now: number, maxHosts: number): EnrollOutcome {
  const nodeKey = newNodeKey();
  const digest = nodeKeyDigest(nodeKey);
  return db.transaction((): EnrollOutcome => {
    const s = statements(db);
    const existing = s.idByIdentifier.get(d.hostIdentifier);
    if (existing !== undefined) {
      s.reenroll.run(digest, d.hostname, d.platform, d.osName, d.osVersion, d.osqueryVersion, d.hardwareSerial, now, d.address, now, d.address, existing);
      return { ok: true, hostId: existing, nodeKey, renewed: true };
    }
    if ((s.count.get() ?? 0) >= maxHosts) return { ok: false, reason: "host limit reached" };
    const info = s.enroll.run(d.hostIdentifier, digest, d.hostname, d.platform, d.osName, d.osVersion, d.osqueryVersion, d.hardwareSerial, now, d.address, now, d.address);
    return { ok: true, hostId: Number(info.lastInsertRowid), nodeKey, renewed: false };
  })();
}

/** The host a node key belongs to, touching its last contact; undefined for an unknown key. */
export function hostByNodeKey(db: Db, nodeKey: string, now: number, address: string): HostRow | undefined {
  const s = statements(db);
  const r = s.byKeyDigest.get(nodeKeyDigest(nodeKey));
  if (!r) return undefined;
  s.touch.run(now, address, r.id);
  return fromRow({ ...r, last_seen_at: now, last_address: address });
}

/** One enrolled host by id. */
export function getHost(db: Db, id: number): HostRow | undefined {
  const r = statements(db).byId.get(id);
  return r && fromRow(r);
}

/** Every enrolled host, by name. */
export function listHosts(db: Db): HostRow[] {
  return statements(db).all.all().map(fromRow);
}

/** Stores the latest result of catalog queries (others are ignored); returns how many were kept. */
export function saveResults(db: Db, hostId: number, results: ReadonlyMap<string, { rows: Row[]; status: number }>, via: "logger" | "distributed" | "fleet", now: number): number {
  const s = statements(db);
  let kept = 0;
  for (const [query, r] of results) {
    if (!isQueryName(query)) continue;
    s.saveResult.run(hostId, query, r.status, JSON.stringify(r.rows), now, via);
    kept++;
  }
  if (kept > 0) s.resultsAt.run(now, hostId);
  return kept;
}

/** Learns the platform from os_version when enrolment did not tell it. */
export function setPlatform(db: Db, hostId: number, platform: string, osName: string, osVersion: string): void {
  statements(db).platform.run(platform, osName, osVersion, hostId);
}

/** Marks the posture queries as handed out by a distributed read. */
export function markDistributedSent(db: Db, hostId: number, now: number): void {
  statements(db).distributedSent.run(now, hostId);
}

/** A distributed write arrived: nothing more is due until the next enrolment or request. */
export function markDistributedDone(db: Db, hostId: number): void {
  statements(db).distributedDone.run(hostId);
}

/** Remembers whether the host crossed `offline_after` (the check-in watch compares against it). */
export function setOffline(db: Db, hostId: number, offline: boolean): void {
  statements(db).offline.run(offline ? 1 : 0, hostId);
}

/** The host as the judge sees it: contact time and the latest result of each query. */
export function hostSnapshot(db: Db, host: HostRow): HostSnapshot {
  const rows = statements(db).results.all(host.id);
  const results: Partial<Record<QueryName, QueryResult>> = {};
  for (const r of rows) if (isQueryName(r.query)) results[r.query] = { rows: JSON.parse(r.rows_json) as Row[], status: r.status, at: r.received_at };
  return { id: String(host.id), name: host.hostname || host.hostIdentifier, platform: host.platform, lastSeenAt: host.lastSeenAt, results };
}

/** Removes a host and its results (its node key stops working). */
export function deleteHost(db: Db, hostId: number): boolean {
  return statements(db).remove.run(hostId).changes > 0;
}

export interface HostFindingRow {
  source: string;
  rule: string;
  status: "pass" | "warn" | "fail" | "unknown";
  message: string;
  since: number;
}

/** The current finding of every host check (finding_state rows of `host:*` sources). */
export function hostFindings(db: Db): HostFindingRow[] {
  return findingsWithSourcePrefix(db, "host:").map((f) => ({ source: f.monitor, rule: f.rule, status: f.status, message: f.message, since: f.since }));
}
