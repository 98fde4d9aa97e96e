/**
 * The door engine: one state machine per sensor (open / closed / unknown) kept in the store, so
 * the daemon and a CLI `doors simulate` see the same state. Each event is stored, the sensor's
 * state updated, and alerts raised or resolved through the alert engine — all in one
 * transaction, synchronously on receipt. Time-based rules (held open, silent) run in `tick()`.
 */
import type { Logger } from "../../kit/log.js";
import type { AlertPolicy } from "../alerts/config.js";
import { applyFindings, type AlertContext, type ChannelRoute } from "../alerts/engine.js";
import type { Finding } from "../evaluator.js";
import type { Db } from "../store/db.js";
import type { DoorsConfig, SensorConfig } from "./config.js";
import { isBusinessHours, localTime, type Calendar } from "./hours.js";
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
} from "./store.js";

export const SOURCE = "doors";
export const RULES = {
  afterHoursOpen: "doors.after_hours_open",
  restrictedOpen: "doors.restricted_open",
  heldOpen: "doors.held_open",
  offline: "doors.offline",
  tamper: "doors.tamper",
  batteryLow: "doors.battery_low",
  inputError: "doors.input_error",
} as const;

/** A battery percentage below this counts as low when the sensor sends no battery_low flag. */
export const BATTERY_LOW_PERCENT = 20;

/** What an input understood from one message; absent fields were not reported. */
export interface DoorSignal {
  state?: "open" | "closed";
  online?: boolean;
  tamper?: boolean;
  battery?: number;
  batteryLow?: boolean;
}

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
      const next: DoorStateRow = { ...prev, lastSeenAt: now };
      const s = ev.signal;
      const findings: Finding[] = [];
      let outcome: DoorOutcome = "status";
      let onsiteId: number | undefined;

      if (s.state && s.state !== prev.state) {
        next.state = s.state;
        next.since = now;
        if (s.state === "closed") {
          outcome = "closed";
          // Closing resolves what the opening raised.
          findings.push(pass(RULES.afterHoursOpen, sensor, `${label(sensor)} closed`), pass(RULES.restrictedOpen, sensor, `${label(sensor)} closed`), pass(RULES.heldOpen, sensor, `${label(sensor)} closed`));
        } else if (ev.initial && prev.state === "unknown") {
          // The first state ever learned (a retained message, gpioget at start): the opening was not
          // seen, so no after-hours alarm; held-open still applies.
          outcome = "initial";
        } else if (sensor.policy === "always") {
          outcome = "alarm";
          findings.push(fail(RULES.restrictedOpen, sensor, `${label(sensor)} opened (this door alarms whenever it is opened) at ${this.clock(now)}`));
        } else if (this.isBusinessHours(now)) {
          outcome = "business_hours";
        } else {
          const onsite = activeOnsite(this.deps.db, now);
          if (onsite) {
            outcome = "onsite";
            onsiteId = onsite.id;
          } else {
            outcome = "alarm";
            findings.push(fail(RULES.afterHoursOpen, sensor, `${label(sensor)} opened outside business hours at ${this.clock(now)}`));
          }
        }
      } else if (s.state) {
        outcome = ev.initial && prev.state === "unknown" ? "initial" : "no_change";
      }

      if (s.online !== undefined) next.online = s.online;
      else next.online = true; // any message means the sensor is talking to us
      if (!next.online) findings.push(warn(RULES.offline, sensor, `${label(sensor)} reports itself offline`));
      else findings.push(pass(RULES.offline, sensor, `${label(sensor)} is reporting again`));

      if (s.tamper !== undefined) {
        next.tamper = s.tamper;
        findings.push(s.tamper ? fail(RULES.tamper, sensor, `${label(sensor)} reports tampering (cover opened or sensor removed)`) : pass(RULES.tamper, sensor, `${label(sensor)}: tamper cleared`));
      }
      if (s.battery !== undefined) next.battery = s.battery;
      if (s.batteryLow !== undefined) next.batteryLow = s.batteryLow;
      if (s.battery !== undefined || s.batteryLow !== undefined) {
        const low = s.batteryLow ?? (s.battery !== undefined && s.battery < BATTERY_LOW_PERCENT);
        findings.push(
          low
            ? warn(RULES.batteryLow, sensor, `${label(sensor)} battery is low${next.battery !== null ? ` (${next.battery}%)` : ""}; replace it`)
            : pass(RULES.batteryLow, sensor, `${label(sensor)}: battery ok`),
        );
      }

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
        onsiteId,
      });
      const outboxIds = applyFindings(this.deps.db, this.alertContext(now), SOURCE, findings, false);
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
    const findings = sensorIds
      .map((id) => this.sensors.get(id))
      .filter((s): s is SensorConfig => s !== undefined)
      .map((s) => (ok ? pass(RULES.inputError, s, `${label(s)}: ${message}`) : warn(RULES.inputError, s, `${label(s)}: input not working: ${message}`)));
    if (findings.length === 0) return;
    try {
      const ids = this.deps.db.transaction(() => applyFindings(this.deps.db, this.alertContext(this.now()), SOURCE, findings, false))();
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
    const open = new Map(
      (this.deps.db.prepare("SELECT rule, subject, severity FROM alerts WHERE source = ? AND state != 'resolved'").all(SOURCE) as Array<{ rule: string; subject: string; severity: string }>).map(
        (r) => [`${r.rule}|${r.subject}`, r.severity],
      ),
    );
    const findings: Finding[] = [];
    for (const st of listDoorStates(this.deps.db)) {
      const sensor = this.sensors.get(st.sensorId);
      if (!sensor) continue;
      const held = sensor.held_open_after;
      if (held && st.state === "open" && st.since !== null) {
        // A door held open is a physical alarm: critical, so grouping never holds it back.
        if (now - st.since >= held && open.get(`${RULES.heldOpen}|${sensor.id}`) !== "critical") {
          findings.push(fail(RULES.heldOpen, sensor, `${label(sensor)} held open longer than ${fmtMs(held)}`));
        }
      }
      const silentAfter = sensor.offline_after;
      if (silentAfter) {
        const last = st.lastSeenAt ?? this.startedAt;
        if (now - last >= silentAfter && !open.has(`${RULES.offline}|${sensor.id}`)) {
          findings.push(warn(RULES.offline, sensor, `${label(sensor)} has sent nothing for ${fmtMs(silentAfter)}`));
        }
      }
    }
    if (findings.length === 0) return [];
    const ids = this.deps.db.transaction(() => applyFindings(this.deps.db, this.alertContext(now), SOURCE, findings, false))();
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

  private alertContext(now: number): AlertContext {
    return {
      site: this.deps.site,
      routes: this.deps.routes,
      now,
      ...(this.deps.consoleUrl ? { consoleUrl: this.deps.consoleUrl } : {}),
      ...(this.deps.policy ? { policy: this.deps.policy } : {}),
    };
  }

  private clock(at: number): string {
    const l = localTime(at, this.deps.timezone);
    const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][l.weekday];
    return `${day} ${l.date} ${String(Math.floor(l.minutes / 60)).padStart(2, "0")}:${String(l.minutes % 60).padStart(2, "0")} (${this.deps.timezone})`;
  }
}

const label = (s: SensorConfig) => s.name ?? s.id;

function finding(rule: string, status: Finding["status"], sensor: SensorConfig, message: string): Finding {
  return { rule, kind: "policy", status, message, facts: [], subject: sensor.id };
}
const pass = (rule: string, s: SensorConfig, m: string) => finding(rule, "pass", s, m);
const warn = (rule: string, s: SensorConfig, m: string) => finding(rule, "warn", s, m);
const fail = (rule: string, s: SensorConfig, m: string) => finding(rule, "fail", s, m);

/** 120000 → "2m", 5400000 → "1h30m". */
export function fmtMs(ms: number): string {
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  let rest = ms;
  let out = "";
  for (const [u, n] of units) {
    const q = Math.floor(rest / n);
    if (q > 0) {
      out += `${q}${u}`;
      rest -= q * n;
    }
  }
  return out || `${ms}ms`;
}
