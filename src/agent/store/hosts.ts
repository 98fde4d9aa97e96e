/**
 * The osquery host tables: enrolment (node keys stored as SHA-256 digests only), contact times,
 * and the latest result of each posture query. Parameterized SQL only. Rows as stored: the hosts
 * folder builds its domain objects (platform, catalog queries, snapshots) from them.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "./db.js";
import { findingsWithSourcePrefix } from "./findings.js";
import { statementsFor } from "./statements.js";

/** An enrolled host as stored; `platform` is what osquery reported (`windows`, `ubuntu`, "" when unknown). */
export interface HostRow {
  id: number;
  hostIdentifier: string;
  hostname: string;
  platform: string;
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
  platform: r.platform,
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

/** What a host says of itself when it enrolls, and the address it came from. */
export type EnrollDetails = Pick<HostRow, "hostIdentifier" | "hostname" | "platform" | "osName" | "osVersion" | "osqueryVersion" | "hardwareSerial"> & { address: string };

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

/** One posture query's latest result as stored: osquery's status and its rows as JSON. */
export interface StoredResult {
  query: string;
  status: number;
  rowsJson: string;
}

/** Stores the latest result of each query given (replacing the previous one) and when results last came. */
export function storeResults(db: Db, hostId: number, results: readonly StoredResult[], via: "logger" | "distributed" | "fleet", now: number): void {
  const s = statements(db);
  for (const r of results) s.saveResult.run(hostId, r.query, r.status, r.rowsJson, now, via);
  if (results.length > 0) s.resultsAt.run(now, hostId);
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

/** The latest stored result of every query of a host. */
export function hostResults(db: Db, hostId: number): (StoredResult & { receivedAt: number })[] {
  return statements(db)
    .results.all(hostId)
    .map((r) => ({ query: r.query, status: r.status, rowsJson: r.rows_json, receivedAt: r.received_at }));
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
