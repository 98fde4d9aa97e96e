/**
 * The door rules as pure transitions: what one message does to a sensor's state and which
 * findings it reports, and which findings time alone raises (held open, silent). No database,
 * no clock, no logging: the engine (engine.ts) reads the store, calls these and records the
 * result through the findings pipeline.
 */
import type { Status } from "../../monitors/monitor.js";
import type { Finding } from "../evaluator.js";
import type { DoorOutcome, DoorStateRow } from "../store/doors.js";
import type { SensorConfig } from "./config.js";
import { compactDuration } from "../../kit/format.js";
import { hhmm, localTime } from "../../kit/time.js";
import { isBusinessHours, type Calendar } from "./hours.js";

/** The findings source of every door sensor (the subject of each finding is the sensor id). */
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

/** The result of one message: the sensor's next state, what it meant, and what it reports. */
export interface DoorTransition {
  next: DoorStateRow;
  outcome: DoorOutcome;
  findings: Finding[];
  /** The on-site declaration that covered an after-hours opening. */
  onsiteId?: number;
}

/** What a message is judged against besides the sensor's state. */
export interface DoorSituation {
  calendar: Calendar;
  /** The on-site declaration covering `now`, if any. */
  onsite: { id: number } | undefined;
  now: number;
  /** A retained MQTT message or a read at start: the state as found, not a change seen happening. */
  initial?: boolean;
}

/**
 * One message from a sensor. Any message means the sensor is talking to us (online unless it
 * says otherwise); a change to open is judged by the sensor's policy, business hours and on-site
 * declarations; closing reports the opening rules as passing, so the alerts they raised resolve.
 */
export function transition(state: DoorStateRow, signal: DoorSignal, sensor: SensorConfig, at: DoorSituation): DoorTransition {
  const { now } = at;
  const next: DoorStateRow = { ...state, lastSeenAt: now };
  const name = label(sensor);
  const findings: Finding[] = [];
  let outcome: DoorOutcome = "status";
  let onsiteId: number | undefined;

  if (signal.state && signal.state !== state.state) {
    next.state = signal.state;
    next.since = now;
    if (signal.state === "closed") {
      outcome = "closed";
      findings.push(pass(RULES.afterHoursOpen, sensor, `${name} closed`), pass(RULES.restrictedOpen, sensor, `${name} closed`), pass(RULES.heldOpen, sensor, `${name} closed`));
    } else if (at.initial && state.state === "unknown") {
      // The first state ever learned: the opening was not seen, so no after-hours alarm
      // (held-open still applies).
      outcome = "initial";
    } else if (sensor.policy === "always") {
      outcome = "alarm";
      findings.push(fail(RULES.restrictedOpen, sensor, `${name} opened (this door alarms whenever it is opened) at ${siteClock(now, at.calendar.timezone)}`));
    } else if (isBusinessHours(at.calendar, now)) {
      outcome = "business_hours";
    } else if (at.onsite) {
      outcome = "onsite";
      onsiteId = at.onsite.id;
    } else {
      outcome = "alarm";
      findings.push(fail(RULES.afterHoursOpen, sensor, `${name} opened outside business hours at ${siteClock(now, at.calendar.timezone)}`));
    }
  } else if (signal.state) {
    outcome = at.initial && state.state === "unknown" ? "initial" : "no_change";
  }

  next.online = signal.online ?? true;
  findings.push(next.online ? pass(RULES.offline, sensor, `${name} is reporting again`) : warn(RULES.offline, sensor, `${name} reports itself offline`));

  if (signal.tamper !== undefined) {
    next.tamper = signal.tamper;
    findings.push(signal.tamper ? fail(RULES.tamper, sensor, `${name} reports tampering (cover opened or sensor removed)`) : pass(RULES.tamper, sensor, `${name}: tamper cleared`));
  }
  if (signal.battery !== undefined) next.battery = signal.battery;
  if (signal.batteryLow !== undefined) next.batteryLow = signal.batteryLow;
  if (signal.battery !== undefined || signal.batteryLow !== undefined) {
    const low = signal.batteryLow ?? (signal.battery !== undefined && signal.battery < BATTERY_LOW_PERCENT);
    findings.push(
      low ? warn(RULES.batteryLow, sensor, `${name} battery is low${next.battery !== null ? ` (${next.battery}%)` : ""}; replace it`) : pass(RULES.batteryLow, sensor, `${name}: battery ok`),
    );
  }
  return { next, outcome, findings, ...(onsiteId !== undefined ? { onsiteId } : {}) };
}

/** The current status of a door finding, by rule and sensor id (from the finding state). */
export type CurrentStatus = (rule: string, sensorId: string) => Status | undefined;

/**
 * The rules time alone raises, at `now`: a door held open past `held_open_after` (critical: a
 * physical alarm is never held back for grouping) and a sensor silent for `offline_after`
 * (warning; a sensor never heard from counts from `startedAt`). Only new findings are returned:
 * a rule already reporting it is left alone.
 */
export function timedFindings(states: readonly DoorStateRow[], sensors: ReadonlyMap<string, SensorConfig>, current: CurrentStatus, startedAt: number, now: number): Finding[] {
  const findings: Finding[] = [];
  for (const st of states) {
    const sensor = sensors.get(st.sensorId);
    if (!sensor) continue;
    const held = sensor.held_open_after;
    if (held && st.state === "open" && st.since !== null && now - st.since >= held && current(RULES.heldOpen, sensor.id) !== "fail") {
      findings.push(fail(RULES.heldOpen, sensor, `${label(sensor)} held open longer than ${compactDuration(held)}`));
    }
    const silentAfter = sensor.offline_after;
    if (silentAfter && now - (st.lastSeenAt ?? startedAt) >= silentAfter && current(RULES.offline, sensor.id) !== "warn") {
      findings.push(warn(RULES.offline, sensor, `${label(sensor)} has sent nothing for ${compactDuration(silentAfter)}`));
    }
  }
  return findings;
}

/** Whether the sensors' inputs work (gpiomon started, the broker accepted our login). */
export function inputFindings(sensors: readonly SensorConfig[], ok: boolean, message: string): Finding[] {
  return sensors.map((s) => (ok ? pass(RULES.inputError, s, `${label(s)}: ${message}`) : warn(RULES.inputError, s, `${label(s)}: input not working: ${message}`)));
}

const label = (s: SensorConfig) => s.name ?? s.id;

function finding(rule: string, status: Finding["status"], sensor: SensorConfig, message: string): Finding {
  return { rule, kind: "policy", status, message, facts: [], subject: sensor.id };
}
const pass = (rule: string, s: SensorConfig, m: string) => finding(rule, "pass", s, m);
const warn = (rule: string, s: SensorConfig, m: string) => finding(rule, "warn", s, m);
const fail = (rule: string, s: SensorConfig, m: string) => finding(rule, "fail", s, m);

/** "Fri 2026-11-27 22:14 (America/New_York)": when an alarm happened, in the site's words. */
function siteClock(at: number, timezone: string): string {
  const l = localTime(at, timezone);
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][l.weekday];
  return `${day} ${l.date} ${hhmm(l.minutes)} (${timezone})`;
}
