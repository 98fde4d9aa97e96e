/**
 * The osquery host tables: enrolment (node keys stored as SHA-256 digests only), contact times,
 * and the latest result of each posture query. Parameterized SQL only.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../store/db.js";
import { isQueryName, type HostPlatform, type QueryName } from "./queries.js";
import { platformOf, type HostSnapshot, type QueryResult, type Row } from "./snapshot.js";

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
    const existing = db.prepare("SELECT id FROM osquery_hosts WHERE host_identifier = ?").get(d.hostIdentifier) as { id: number } | undefined;
    if (existing) {
      db.prepare(
        `UPDATE osquery_hosts SET node_key_sha256 = ?, hostname = ?, platform = ?, os_name = ?, os_version = ?, osquery_version = ?,
           hardware_serial = ?, enrolled_at = ?, enrolled_from = ?, last_seen_at = ?, last_address = ?, distributed_due = 1, distributed_sent_at = NULL
         WHERE id = ?`,
      ).run(digest, d.hostname, d.platform, d.osName, d.osVersion, d.osqueryVersion, d.hardwareSerial, now, d.address, now, d.address, existing.id);
      return { ok: true, hostId: existing.id, nodeKey, renewed: true };
    }
    const n = (db.prepare("SELECT count(*) AS n FROM osquery_hosts").get() as { n: number }).n;
    if (n >= maxHosts) return { ok: false, reason: "host limit reached" };
    const info = db
      .prepare(
        `INSERT INTO osquery_hosts (host_identifier, node_key_sha256, hostname, platform, os_name, os_version, osquery_version, hardware_serial,
           enrolled_at, enrolled_from, last_seen_at, last_address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.hostIdentifier, digest, d.hostname, d.platform, d.osName, d.osVersion, d.osqueryVersion, d.hardwareSerial, now, d.address, now, d.address);
    return { ok: true, hostId: Number(info.lastInsertRowid), nodeKey, renewed: false };
  })();
}

/** The host a node key belongs to, touching its last contact; undefined for an unknown key. */
export function hostByNodeKey(db: Db, nodeKey: string, now: number, address: string): HostRow | undefined {
  const r = db.prepare("SELECT * FROM osquery_hosts WHERE node_key_sha256 = ?").get(nodeKeyDigest(nodeKey)) as DbRow | undefined;
  if (!r) return undefined;
  db.prepare("UPDATE osquery_hosts SET last_seen_at = ?, last_address = ? WHERE id = ?").run(now, address, r.id);
  return fromRow({ ...r, last_seen_at: now, last_address: address });
}

export function getHost(db: Db, id: number): HostRow | undefined {
  const r = db.prepare("SELECT * FROM osquery_hosts WHERE id = ?").get(id) as DbRow | undefined;
  return r && fromRow(r);
}

/** Every enrolled host, by name. */
export function listHosts(db: Db): HostRow[] {
  return (db.prepare("SELECT * FROM osquery_hosts ORDER BY hostname COLLATE NOCASE, id").all() as DbRow[]).map(fromRow);
}

/** Stores the latest result of catalog queries (others are ignored); returns how many were kept. */
export function saveResults(db: Db, hostId: number, results: ReadonlyMap<string, { rows: Row[]; status: number }>, via: "logger" | "distributed" | "fleet", now: number): number {
  const upsert = db.prepare(
    `INSERT INTO osquery_results (host_id, query, status, rows_json, received_at, via) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (host_id, query) DO UPDATE SET status = excluded.status, rows_json = excluded.rows_json, received_at = excluded.received_at, via = excluded.via`,
  );
  let kept = 0;
  for (const [query, r] of results) {
    if (!isQueryName(query)) continue;
    upsert.run(hostId, query, r.status, JSON.stringify(r.rows), now, via);
    kept++;
  }
  if (kept > 0) db.prepare("UPDATE osquery_hosts SET last_results_at = ? WHERE id = ?").run(now, hostId);
  return kept;
}

/** Learns the platform from os_version when enrolment did not tell it. */
export function setPlatform(db: Db, hostId: number, platform: string, osName: string, osVersion: string): void {
  db.prepare("UPDATE osquery_hosts SET platform = ?, os_name = ?, os_version = ? WHERE id = ?").run(platform, osName, osVersion, hostId);
}

/** Marks the posture queries as handed out by a distributed read. */
export function markDistributedSent(db: Db, hostId: number, now: number): void {
  db.prepare("UPDATE osquery_hosts SET distributed_sent_at = ? WHERE id = ?").run(now, hostId);
}

/** A distributed write arrived: nothing more is due until the next enrolment or request. */
export function markDistributedDone(db: Db, hostId: number): void {
  db.prepare("UPDATE osquery_hosts SET distributed_due = 0 WHERE id = ?").run(hostId);
}

export function setOffline(db: Db, hostId: number, offline: boolean): void {
  db.prepare("UPDATE osquery_hosts SET offline = ? WHERE id = ?").run(offline ? 1 : 0, hostId);
}

/** The host as the judge sees it: contact time and the latest result of each query. */
export function hostSnapshot(db: Db, host: HostRow): HostSnapshot {
  const rows = db.prepare("SELECT query, status, rows_json, received_at FROM osquery_results WHERE host_id = ?").all(host.id) as {
    query: string;
    status: number;
    rows_json: string;
    received_at: number;
  }[];
  const results: Partial<Record<QueryName, QueryResult>> = {};
  for (const r of rows) if (isQueryName(r.query)) results[r.query] = { rows: JSON.parse(r.rows_json) as Row[], status: r.status, at: r.received_at };
  return { id: String(host.id), name: host.hostname || host.hostIdentifier, platform: host.platform, lastSeenAt: host.lastSeenAt, results };
}

/** Removes a host and its results (its node key stops working). */
export function deleteHost(db: Db, hostId: number): boolean {
  return db.prepare("DELETE FROM osquery_hosts WHERE id = ?").run(hostId).changes > 0;
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
  return db
    .prepare("SELECT monitor AS source, rule, status, message, since FROM finding_state WHERE monitor LIKE 'host:%' ORDER BY monitor, rule")
    .all() as HostFindingRow[];
}
