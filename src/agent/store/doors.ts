/**
 * The door tables (migration 003): each sensor's state, the events received, on-site
 * declarations and the ids of deliveries already stored. Column names are snake_case here and
 * camelCase for callers. What the doors currently report as findings lives in finding_state
 * (source `doors`, see store/findings.ts).
 */
import { createHash } from "node:crypto";
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

export type DoorState = "open" | "closed" | "unknown";
export type DoorSource = "mqtt" | "gpio" | "webhook" | "simulate";
/** What the engine made of an event (stored with it). */
export type DoorOutcome = "alarm" | "onsite" | "business_hours" | "closed" | "no_change" | "initial" | "status";

export interface DoorStateRow {
  sensorId: string;
  state: DoorState;
  since: number | null;
  lastSeenAt: number | null;
  online: boolean;
  tamper: boolean | null;
  battery: number | null;
  batteryLow: boolean | null;
  malformed: number;
}

interface RawStateRow {
  sensor_id: string;
  state: DoorState;
  since: number | null;
  last_seen_at: number | null;
  online: number;
  tamper: number | null;
  battery: number | null;
  battery_low: number | null;
  malformed: number;
}

const bool = (v: number | null) => (v === null ? null : v === 1);
const int = (v: boolean | null | undefined) => (v === null || v === undefined ? null : v ? 1 : 0);

function toState(r: RawStateRow): DoorStateRow {
  return {
    sensorId: r.sensor_id,
    state: r.state,
    since: r.since,
    lastSeenAt: r.last_seen_at,
    online: r.online === 1,
    tamper: bool(r.tamper),
    battery: r.battery,
    batteryLow: bool(r.battery_low),
    malformed: r.malformed,
  };
}

interface RawEventRow {
  id: number;
  sensor_id: string;
  source: DoorSource;
  received_at: number;
  payload_sha256: string;
  state: "open" | "closed" | null;
  online: number | null;
  tamper: number | null;
  battery: number | null;
  battery_low: number | null;
  initial: number;
  outcome: DoorOutcome;
  onsite_id: number | null;
}

type EventParams = [string, DoorSource, number, string, string | null, number | null, number | null, number | null, number | null, number, DoorOutcome, number | null];

const statements = statementsFor((db: Db) => ({
  ensureState: db.prepare<[string]>("INSERT OR IGNORE INTO door_state (sensor_id) VALUES (?)"),
  state: db.prepare<[string], RawStateRow>("SELECT * FROM door_state WHERE sensor_id = ?"),
  states: db.prepare<[], RawStateRow>("SELECT * FROM door_state ORDER BY sensor_id"),
  saveState: db.prepare<[string, number | null, number | null, number, number | null, number | null, number | null, string]>(
    "UPDATE door_state SET state = ?, since = ?, last_seen_at = ?, online = ?, tamper = ?, battery = ?, battery_low = ? WHERE sensor_id = ?",
  ),
  countMalformed: db.prepare<[string]>("UPDATE door_state SET malformed = malformed + 1 WHERE sensor_id = ?"),
  insertEvent: db.prepare<EventParams>(
    `INSERT INTO door_events (sensor_id, source, received_at, payload_sha256, state, online, tamper, battery, battery_low, initial, outcome, onsite_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  // Two statements rather than `? IS NULL OR`: the one-sensor read keeps its index.
  recentEvents: db.prepare<[number], RawEventRow>("SELECT * FROM door_events ORDER BY id DESC LIMIT ?"),
  recentEventsOf: db.prepare<[string, number], RawEventRow>("SELECT * FROM door_events WHERE sensor_id = ? ORDER BY id DESC LIMIT ?"),
  pruneEvents: db.prepare<[number, number]>("DELETE FROM door_events WHERE id IN (SELECT id FROM door_events WHERE received_at < ? LIMIT ?)"),
  pruneIds: db.prepare<[number]>("DELETE FROM door_webhook_ids WHERE received_at < ?"),
  deliverySeenAt: db.prepare<[string, string], number>("SELECT received_at FROM door_webhook_ids WHERE sensor_id = ? AND event_id = ?").pluck(),
  rememberDelivery: db.prepare<[string, string, number]>(
    "INSERT INTO door_webhook_ids (sensor_id, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT (sensor_id, event_id) DO UPDATE SET received_at = excluded.received_at",
  ),
  rememberWebhookId: db.prepare<[string, string, number]>("INSERT OR IGNORE INTO door_webhook_ids (sensor_id, event_id, received_at) VALUES (?, ?, ?)"),
  activeOnsite: db.prepare<[number, number], RawOnsite>(
    "SELECT * FROM door_onsite WHERE cancelled_at IS NULL AND declared_at <= ? AND until_at > ? ORDER BY until_at DESC LIMIT 1",
  ),
  insertOnsite: db.prepare<[number, number, string, string, string]>("INSERT INTO door_onsite (declared_at, until_at, declared_by, reason, actor) VALUES (?, ?, ?, ?, ?)"),
  onsite: db.prepare<[number], RawOnsite>("SELECT * FROM door_onsite WHERE id = ?"),
  cancelOnsite: db.prepare<[number, string, number, number]>("UPDATE door_onsite SET cancelled_at = ?, cancelled_by = ? WHERE id = ? AND cancelled_at IS NULL AND until_at > ?"),
}));

/** sha256 (hex) of a raw payload as received. */
export function payloadDigest(payload: string | Uint8Array): string {
  return createHash("sha256").update(payload).digest("hex");
}

/** Creates the state row of each sensor that has none yet (state unknown). */
export function ensureDoorStates(db: Db, sensorIds: readonly string[]): void {
  const { ensureState } = statements(db);
  db.transaction(() => {
    for (const id of sensorIds) ensureState.run(id);
  })();
}

/** The state row of one sensor (undefined if never configured). */
export function getDoorState(db: Db, sensorId: string): DoorStateRow | undefined {
  const r = statements(db).state.get(sensorId);
  return r && toState(r);
}

/** Every sensor's state row. */
export function listDoorStates(db: Db): DoorStateRow[] {
  return statements(db).states.all().map(toState);
}

/** Writes a sensor's state as the engine computed it (the malformed counter is left alone). */
export function saveDoorState(db: Db, s: DoorStateRow): void {
  statements(db).saveState.run(s.state, s.since, s.lastSeenAt, s.online ? 1 : 0, int(s.tamper), s.battery, int(s.batteryLow), s.sensorId);
}

/** Counts one refused payload against a sensor. */
export function countMalformed(db: Db, sensorId: string): void {
  statements(db).countMalformed.run(sensorId);
}

export interface DoorEventRecord {
  sensorId: string;
  source: DoorSource;
  receivedAt: number;
  payloadSha256: string;
  state?: "open" | "closed" | undefined;
  online?: boolean | undefined;
  tamper?: boolean | undefined;
  battery?: number | undefined;
  batteryLow?: boolean | undefined;
  initial: boolean;
  outcome: DoorOutcome;
  onsiteId?: number | undefined;
}

/** Stores one received event with what the engine made of it; returns its id. */
export function insertDoorEvent(db: Db, e: DoorEventRecord): number {
  const info = statements(db).insertEvent.run(
      e.sensorId,
      e.source,
      e.receivedAt,
      e.payloadSha256,
      e.state ?? null,
      int(e.online),
      int(e.tamper),
      e.battery ?? null,
      int(e.batteryLow),
      e.initial ? 1 : 0,
      e.outcome,
      e.onsiteId ?? null,
    );
  return Number(info.lastInsertRowid);
}

export interface StoredDoorEvent extends DoorEventRecord {
  id: number;
}

/** The latest events, newest first (all sensors, or one). */
export function recentDoorEvents(db: Db, opts: { sensorId?: string; limit?: number } = {}): StoredDoorEvent[] {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 10_000);
  const s = statements(db);
  return (opts.sensorId ? s.recentEventsOf.all(opts.sensorId, limit) : s.recentEvents.all(limit)).map((r) => ({
    id: r.id,
    sensorId: r.sensor_id,
    source: r.source,
    receivedAt: r.received_at,
    payloadSha256: r.payload_sha256,
    state: r.state ?? undefined,
    online: bool(r.online) ?? undefined,
    tamper: bool(r.tamper) ?? undefined,
    battery: r.battery ?? undefined,
    batteryLow: bool(r.battery_low) ?? undefined,
    initial: r.initial === 1,
    outcome: r.outcome,
    onsiteId: r.onsite_id ?? undefined,
  }));
}

/**
 * Deletes door events received before `cutoff` (unix ms), in batches so the daemon's writer is
 * never held for long; also forgets webhook event ids older than `idsCutoff`. Returns events deleted.
 */
export function pruneDoorEvents(db: Db, cutoff: number, opts: { idsCutoff?: number; batch?: number } = {}): number {
  const batch = opts.batch ?? 5000;
  const s = statements(db);
  let total = 0;
  for (;;) {
    const n = s.pruneEvents.run(cutoff, batch).changes;
    total += n;
    if (n < batch) break;
  }
  if (opts.idsCutoff !== undefined) s.pruneIds.run(opts.idsCutoff);
  return total;
}

/**
 * Records an at-least-once delivery's key (same table as webhook ids, pruned with them); false
 * when the same key was recorded within `windowMs` before `at` (a redelivery already stored).
 * `windowMs` 0 always records: a first delivery is stored even if its packet id was used before.
 */
export function rememberDelivery(db: Db, sensorId: string, key: string, at: number, windowMs: number): boolean {
  const s = statements(db);
  const seenAt = s.deliverySeenAt.get(sensorId, key);
  if (seenAt !== undefined && windowMs > 0 && seenAt >= at - windowMs) return false;
  s.rememberDelivery.run(sensorId, key, at);
  return true;
}

/** Records a webhook event id; false when it was seen before (a replay). */
export function rememberWebhookId(db: Db, sensorId: string, eventId: string, at: number): boolean {
  return statements(db).rememberWebhookId.run(sensorId, eventId, at).changes === 1;
}

// ---------------------------------------------------------------------------------------------
// On-site declarations

export interface OnsiteDeclaration {
  id: number;
  declaredAt: number;
  untilAt: number;
  declaredBy: string;
  reason: string;
  actor: string;
  cancelledAt: number | null;
  cancelledBy: string | null;
}

interface RawOnsite {
  id: number;
  declared_at: number;
  until_at: number;
  declared_by: string;
  reason: string;
  actor: string;
  cancelled_at: number | null;
  cancelled_by: string | null;
}

const toOnsite = (r: RawOnsite): OnsiteDeclaration => ({
  id: r.id,
  declaredAt: r.declared_at,
  untilAt: r.until_at,
  declaredBy: r.declared_by,
  reason: r.reason,
  actor: r.actor,
  cancelledAt: r.cancelled_at,
  cancelledBy: r.cancelled_by,
});

/** The declaration covering instant `at`, if any (the one lasting longest). */
export function activeOnsite(db: Db, at: number): OnsiteDeclaration | undefined {
  const r = statements(db).activeOnsite.get(at, at);
  return r && toOnsite(r);
}

export interface OnsiteInput {
  untilAt: number;
  declaredBy: string;
  reason: string;
  /** Who recorded it, for the audit log (`os:alice`, `user:bob`). */
  actor: string;
  address?: string;
  now: number;
}

/** Inserts a declaration. Validation and the audit entry are the caller's (see doors/onsite.ts). */
export function insertOnsite(db: Db, d: OnsiteInput): OnsiteDeclaration {
  const s = statements(db);
  const id = Number(s.insertOnsite.run(d.now, d.untilAt, d.declaredBy, d.reason, d.actor).lastInsertRowid);
  return toOnsite(s.onsite.get(id)!);
}

/** Ends a declaration early. False when it does not exist or already ended. */
export function endOnsite(db: Db, id: number, actor: string, now: number): boolean {
  return statements(db).cancelOnsite.run(now, actor, id, now).changes > 0;
}

// --- compliance reads

/** A door event after hours as the evidence report lists it. */
export interface AfterHoursEventRow {
  received_at: number;
  sensor_id: string;
  state: string | null;
  outcome: string;
  declared_by: string | null;
  reason: string | null;
}

const complianceStatements = statementsFor((db: Db) => ({
  // alarm = opened after hours with nobody declared on site; onsite = after hours, declared.
  afterHours: db.prepare<[number, number, number], AfterHoursEventRow>(
    `SELECT e.received_at, e.sensor_id, e.state, e.outcome, o.declared_by, o.reason FROM door_events e
     LEFT JOIN door_onsite o ON o.id = e.onsite_id
     WHERE e.received_at >= ? AND e.received_at < ? AND e.outcome IN ('alarm', 'onsite') ORDER BY e.received_at, e.id LIMIT ?`,
  ),
}));

/** Door events after hours (alarms and declared on-site openings) in [from, to), at most `limit`. */
export function afterHoursDoorEvents(db: Db, from: number, to: number, limit: number): AfterHoursEventRow[] {
  return complianceStatements(db).afterHours.all(from, to, limit);
}

// --- console reads
// (Imports aliased so this section merges below the module's own imports without a clash.)
import type { Db as ConsoleDb } from "./db.js";
import { statementsFor as consoleStatementsFor } from "./statements.js";

const consoleDoorReads = consoleStatementsFor((db) => ({
  openingsPerRange: db.prepare<[string], { i: number; n: number; after: number }>(
    `WITH b(i, lo, hi) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
     SELECT b.i AS i, count(e.id) AS n, coalesce(sum(e.outcome IN ('alarm', 'onsite')), 0) AS after
     FROM b LEFT JOIN door_events e ON e.received_at >= b.lo AND e.received_at < b.hi AND e.state = 'open' AND e.outcome IN ('alarm', 'onsite', 'business_hours')
     GROUP BY b.i ORDER BY b.i`,
  ),
}));

/**
 * For each time range [from, to): door openings in it (i is the range's index) and how many of
 * them were after hours (an alarm, or declared on site). One statement of indexed range scans.
 */
export function doorOpeningsPerRange(db: ConsoleDb, ranges: readonly { from: number; to: number }[]): { i: number; n: number; after: number }[] {
  return consoleDoorReads(db).openingsPerRange.all(JSON.stringify(ranges.map((d) => [d.from, d.to])));
}
