/**
 * The door engine: the adapter between the inputs and the pure door rules (transitions.ts).
 * One state machine per sensor (open / closed / unknown) kept in the store, so the daemon and a
 * CLI `doors simulate` see the same state. Each event is stored, the sensor's state updated and
 * its findings recorded through the findings pipeline (finding state, alerts, outbox) — all in
 * one transaction, synchronously on receipt. Time-based rules (held open, silent) run in `tick()`.
 */
import type { Logger } from "../../kit/log.js";
import type { AlertPolicy } from "../alerts/config.js";
import type { AlertContext, ChannelRoute } from "../alerts/engine.js";
import type { Finding } from "../evaluator.js";
import { record } from "../findings/record.js";
import type { Db } from "../store/db.js";
import {
  activeOnsite,
  countMalformed,
  ensureDoorStates,
  getDoorState,
  insertDoorEvent,
  listDoorStates,
  payloadDigest,
  rememberDelivery,
  saveDoorState,
  type DoorOutcome,
  type DoorSource,
  type DoorStateRow,
} from "../store/doors.js";
import { currentFindings } from "../store/findings.js";
import type { DoorsConfig, SensorConfig } from "./config.js";
import { isBusinessHours, type Calendar } from "./hours.js";
import { inputFindings, SOURCE, timedFindings, transition, type DoorSignal } from "./transitions.js";

export interface DoorEvent {
  sensorId: string;
  source: DoorSource;
  /** The raw payload as received; only its sha256 is stored. */
  payload: string | Uint8Array;
  signal: DoorSignal;
  /** A retained MQTT message or a gpioget read at start: the state as found, not a change seen happening. */
  initial?: boolean;
  /**
   * Idempotency key of an at-least-once delivery (MQTT QoS 1: packet id + payload digest).
   * A redelivery whose key was recorded within REDELIVERY_WINDOW_MS is not stored again: a
   * broker resends a message whose acknowledgement a crash cut off.
   */
  delivery?: { key: string; redelivered: boolean };
}

/** How far back a redelivered message's key is looked up (packet ids cycle after 65,535). */
export const REDELIVERY_WINDOW_MS = 3_600_000;

export interface HandleResult {
  eventId: number;
  outcome: DoorOutcome;
  state: DoorStateRow;
  outboxIds: number[];
}

export interface DoorEngineDeps {
  db: Db;
  doors: DoorsConfig;
  timezone: string;
  site: string;
  routes: readonly ChannelRoute[];
  consoleUrl?: string;
  /** The alert engine's timing (flap window, group wait); default: its documented defaults. */
  policy?: AlertPolicy;
  log: Logger;
  now?: () => number;
  /** Called after a transaction wrote outbox rows (wake the delivery worker). */
  onEnqueued?: (outboxIds: number[]) => void;
}

export interface DoorStats {
  events: number;
  /** Redeliveries of messages already stored (not stored again). */
  duplicates: number;
  malformed: number;
  malformedByReason: Record<string, number>;
}

export class DoorEngine {
  readonly sensors: ReadonlyMap<string, SensorConfig>;
  private readonly calendar: Calendar;
  private readonly now: () => number;
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters: DoorStats = { events: 0, duplicates: 0, malformed: 0, malformedByReason: {} };

  constructor(private readonly deps: DoorEngineDeps) {
    this.sensors = new Map(deps.doors.sensors.map((s) => [s.id, s]));
    this.calendar = { timezone: deps.timezone, week: deps.doors.business_hours, holidays: new Set(deps.doors.holidays) };
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
    ensureDoorStates(deps.db, [...this.sensors.keys()]);
  }

  /** Whether `at` is inside business hours at this site. */
  isBusinessHours(at = this.now()): boolean {
    return isBusinessHours(this.calendar, at);
  }

  /**
   * Records one event and applies its consequences in a single transaction. Returns undefined
   * for an unknown sensor (counted as malformed) and for a redelivery of an event already
   * stored (counted as a duplicate). Never throws for bad input.
   */
  handle(ev: DoorEvent): HandleResult | undefined {
    const sensor = this.sensors.get(ev.sensorId);
    if (!sensor) {
      this.refuse(undefined, ev.source, "unknown sensor", ev.payload);
      return undefined;
    }
    const now = this.now();
    const digest = payloadDigest(ev.payload);
    const result = this.deps.db.transaction((): HandleResult | undefined => {
      // The key is kept in the transaction that stores the event: both or neither.
      if (ev.delivery && !rememberDelivery(this.deps.db, sensor.id, ev.delivery.key, now, ev.delivery.redelivered ? REDELIVERY_WINDOW_MS : 0)) return undefined;
      const prev = getDoorState(this.deps.db, sensor.id)!;
      const t = transition(prev, ev.signal, sensor, { calendar: this.calendar, onsite: activeOnsite(this.deps.db, now), now, ...(ev.initial ? { initial: true } : {}) });
      const { next, outcome } = t;
      const s = ev.signal;
      saveDoorState(this.deps.db, next);
      const eventId = insertDoorEvent(this.deps.db, {
        sensorId: sensor.id,
        source: ev.source,
        receivedAt: now,
        payloadSha256: digest,
        state: s.state,
        online: s.online,
        tamper: s.tamper,
        battery: s.battery,
        batteryLow: s.batteryLow,
        initial: ev.initial ?? false,
        outcome,
        onsiteId: t.onsiteId,
      });
      const outboxIds = this.record(now, t.findings);
      return { eventId, outcome, state: next, outboxIds };
    })();
    if (!result) {
      this.counters.duplicates++;
      this.deps.log.info({ sensor: sensor.id, source: ev.source, sha256: digest }, "redelivered door message already recorded; not stored twice");
      return undefined;
    }
    this.counters.events++;
    if (result.outboxIds.length > 0) this.notify(result.outboxIds);
    if (result.outcome === "alarm") this.deps.log.warn({ sensor: sensor.id, source: ev.source, event: result.eventId }, "door opened: alarm raised");
    else if (result.outcome === "onsite") this.deps.log.info({ sensor: sensor.id, event: result.eventId }, "door opened after hours during an on-site declaration");
    return result;
  }

  /**
   * Counts and logs a payload that could not be understood. Never throws and never logs the
   * payload itself (it may be large or hostile): only its size and digest.
   */
  refuse(sensorId: string | undefined, source: DoorSource, reason: string, payload: string | Uint8Array): void {
    this.counters.malformed++;
    this.counters.malformedByReason[reason] = (this.counters.malformedByReason[reason] ?? 0) + 1;
    try {
      if (sensorId && this.sensors.has(sensorId)) countMalformed(this.deps.db, sensorId);
      this.deps.log.warn({ sensor: sensorId ?? null, source, reason, bytes: payload.length, sha256: payloadDigest(payload) }, "door payload refused");
    } catch {
      /* counting must never break the input */
    }
  }

  /**
   * Reports whether a sensor's input works (gpiomon could start, the broker accepted our login):
   * a failing input raises a warning (`doors.input_error`), a working one resolves it.
   */
  inputStatus(sensorIds: readonly string[], ok: boolean, message: string): void {
    const findings = inputFindings(
      sensorIds.map((id) => this.sensors.get(id)).filter((s): s is SensorConfig => s !== undefined),
      ok,
      message,
    );
    if (findings.length === 0) return;
    try {
      const ids = this.record(this.now(), findings);
      if (ids.length > 0) this.notify(ids);
    } catch (e) {
      this.deps.log.error({ err: String(e) }, "door input status could not be recorded");
    }
  }

  /** Counters since start. */
  stats(): DoorStats {
    return { ...this.counters, malformedByReason: { ...this.counters.malformedByReason } };
  }

  /**
   * Applies the time-based rules at the current time: held open (critical) and
   * silent for `offline_after` (warning). Only changes are written. Returns the outbox ids.
   */
  tick(): number[] {
    const now = this.now();
    const current = new Map(currentFindings(this.deps.db, SOURCE).map((f) => [`${f.rule}|${f.subject}`, f.status]));
    const findings = timedFindings(listDoorStates(this.deps.db), this.sensors, (rule, sensorId) => current.get(`${rule}|${sensorId}`), this.startedAt, now);
    if (findings.length === 0) return [];
    const ids = this.record(now, findings);
    if (ids.length > 0) this.notify(ids);
    return ids;
  }

  /** Runs `tick()` every `everyMs` (default 1 s) until stop(). */
  start(everyMs = 1000): void {
    this.stop();
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (e) {
        this.deps.log.error({ err: String(e) }, "door engine tick failed");
      }
    }, everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Wakes the delivery worker once the rows are committed (a caller may hold an outer transaction). */
  private notify(ids: number[]): void {
    const kick = () => this.deps.onEnqueued?.(ids);
    if (this.deps.db.inTransaction) setImmediate(kick);
    else kick();
  }

  /** Door findings speak only for the rules they name: the other keys and their alerts stay. */
  private record(now: number, findings: readonly Finding[]): number[] {
    return record(this.deps.db, this.alertContext(now), SOURCE, findings, { complete: false });
  }

  private alertContext(now: number): AlertContext {
    return {
      site: this.deps.site,
      routes: this.deps.routes,
      now,
      ...(this.deps.consoleUrl ? { consoleUrl: this.deps.consoleUrl } : {}),
      ...(this.deps.policy ? { policy: this.deps.policy } : {}),
    };
  }
}
