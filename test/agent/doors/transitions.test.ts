/**
 * The door rules as pure functions, without a database or a clock: a table of
 * (state, signal, time, on-site) → (outcome, next state, findings), and the time-based rules.
 */
import { describe, expect, it } from "vitest";
import { parseDoorsConfig, type SensorConfig } from "../../../src/agent/doors/config.js";
import type { Calendar } from "../../../src/agent/doors/hours.js";
import { compactDuration as fmtMs } from "../../../src/kit/format.js";
import { inputFindings, RULES, timedFindings, transition, type DoorSignal } from "../../../src/agent/doors/transitions.js";
import type { DoorOutcome, DoorState, DoorStateRow } from "../../../src/agent/store/doors.js";
import type { Status } from "../../../src/monitors/monitor.js";
import { BASE_DOORS, TZ } from "./helpers.js";

const doors = parseDoorsConfig(BASE_DOORS);
const sensors = new Map(doors.sensors.map((s) => [s.id, s]));
const sensor = (id: string): SensorConfig => sensors.get(id)!;
const calendar: Calendar = { timezone: TZ, week: doors.business_hours, holidays: new Set(doors.holidays) };

const MIN = 60_000;
const FRI_NIGHT = Date.parse("2026-11-28T03:14:00Z"); // Fri 22:14 EST
const FRI_DAY = Date.parse("2026-11-27T15:00:00Z"); // Fri 10:00 EST
const CHRISTMAS = Date.parse("2026-12-25T15:00:00Z"); // Fri 10:00 EST, a holiday

function row(state: DoorState, extra: Partial<DoorStateRow> = {}): DoorStateRow {
  return { sensorId: "server-room", state, since: state === "unknown" ? null : FRI_DAY - 60 * MIN, lastSeenAt: null, online: true, tamper: null, battery: null, batteryLow: null, malformed: 0, ...extra };
}

interface Case {
  name: string;
  sensor?: string;
  from: DoorState;
  signal: DoorSignal;
  at: number;
  onsite?: number;
  initial?: boolean;
  outcome: DoorOutcome;
  /** Non-pass findings as [rule, status]. */
  raised: Array<[string, Status]>;
  /** Pass findings' rules. */
  passed: string[];
}

const CASES: Case[] = [
  { name: "opened after hours → alarm", from: "closed", signal: { state: "open" }, at: FRI_NIGHT, outcome: "alarm", raised: [[RULES.afterHoursOpen, "fail"]], passed: [RULES.offline] },
  { name: "opened in business hours → recorded", from: "closed", signal: { state: "open" }, at: FRI_DAY, outcome: "business_hours", raised: [], passed: [RULES.offline] },
  { name: "opened on a holiday → alarm", from: "closed", signal: { state: "open" }, at: CHRISTMAS, outcome: "alarm", raised: [[RULES.afterHoursOpen, "fail"]], passed: [RULES.offline] },
  { name: "opened after hours while on site → onsite", from: "closed", signal: { state: "open" }, at: FRI_NIGHT, onsite: 4, outcome: "onsite", raised: [], passed: [RULES.offline] },
  { name: "restricted door at noon → alarm", sensor: "closet", from: "closed", signal: { state: "open" }, at: FRI_DAY, outcome: "alarm", raised: [[RULES.restrictedOpen, "fail"]], passed: [RULES.offline] },
  { name: "restricted door, on site → still alarm", sensor: "closet", from: "closed", signal: { state: "open" }, at: FRI_NIGHT, onsite: 4, outcome: "alarm", raised: [[RULES.restrictedOpen, "fail"]], passed: [RULES.offline] },
  {
    name: "closed → the opening rules pass",
    from: "open",
    signal: { state: "closed" },
    at: FRI_NIGHT,
    outcome: "closed",
    raised: [],
    passed: [RULES.afterHoursOpen, RULES.restrictedOpen, RULES.heldOpen, RULES.offline],
  },
  { name: "first state learned, open, after hours → initial", from: "unknown", signal: { state: "open" }, at: FRI_NIGHT, initial: true, outcome: "initial", raised: [], passed: [RULES.offline] },
  { name: "retained open after a known close → alarm", from: "closed", signal: { state: "open" }, at: FRI_NIGHT, initial: true, outcome: "alarm", raised: [[RULES.afterHoursOpen, "fail"]], passed: [RULES.offline] },
  { name: "same state again → no_change", from: "open", signal: { state: "open" }, at: FRI_NIGHT, outcome: "no_change", raised: [], passed: [RULES.offline] },
  { name: "first state learned, closed → closed (the opening rules pass)", from: "unknown", signal: { state: "closed" }, at: FRI_NIGHT, initial: true, outcome: "closed", raised: [], passed: [RULES.afterHoursOpen, RULES.restrictedOpen, RULES.heldOpen, RULES.offline] },
  { name: "reports itself offline → warning", from: "closed", signal: { online: false }, at: FRI_DAY, outcome: "status", raised: [[RULES.offline, "warn"]], passed: [] },
  { name: "tamper → critical", from: "closed", signal: { tamper: true }, at: FRI_DAY, outcome: "status", raised: [[RULES.tamper, "fail"]], passed: [RULES.offline] },
  { name: "tamper cleared, battery fine", from: "closed", signal: { tamper: false, battery: 80 }, at: FRI_DAY, outcome: "status", raised: [], passed: [RULES.offline, RULES.tamper, RULES.batteryLow] },
  { name: "battery below 20 % → warning", from: "closed", signal: { battery: 19 }, at: FRI_DAY, outcome: "status", raised: [[RULES.batteryLow, "warn"]], passed: [RULES.offline] },
  { name: "battery_low flag wins over the percentage", from: "closed", signal: { battery: 90, batteryLow: true }, at: FRI_DAY, outcome: "status", raised: [[RULES.batteryLow, "warn"]], passed: [RULES.offline] },
];

describe("transition(): one message", () => {
  it("has cases", () => expect(CASES.length).toBeGreaterThan(10));

  it.each(CASES)("$name", (c) => {
    const s = sensor(c.sensor ?? "server-room");
    const t = transition(row(c.from, { sensorId: s.id }), c.signal, s, { calendar, onsite: c.onsite === undefined ? undefined : { id: c.onsite }, now: c.at, ...(c.initial ? { initial: true } : {}) });
    expect(t.outcome).toBe(c.outcome);
    expect(t.findings.filter((f) => f.status !== "pass").map((f) => [f.rule, f.status])).toEqual(c.raised);
    expect(t.findings.filter((f) => f.status === "pass").map((f) => f.rule)).toEqual(c.passed);
    expect(t.findings.every((f) => f.subject === s.id && f.kind === "policy")).toBe(true);
    expect(t.onsiteId).toBe(c.outcome === "onsite" ? c.onsite : undefined);
    expect(t.next.lastSeenAt).toBe(c.at);
  });

  it("the next state: a change moves `since`, a repeat keeps it; battery and tamper are kept; the old state is not mutated", () => {
    const s = sensor("server-room");
    const prev = row("closed", { battery: 50, tamper: false });
    const opened = transition(prev, { state: "open" }, s, { calendar, onsite: undefined, now: FRI_DAY });
    expect(opened.next).toMatchObject({ state: "open", since: FRI_DAY, battery: 50, tamper: false, online: true });
    expect(prev).toEqual(row("closed", { battery: 50, tamper: false }));
    const again = transition(opened.next, { state: "open", battery: 12 }, s, { calendar, onsite: undefined, now: FRI_DAY + MIN });
    expect(again.next).toMatchObject({ state: "open", since: FRI_DAY, battery: 12 });
    expect(transition(again.next, { online: false }, s, { calendar, onsite: undefined, now: FRI_DAY + 2 * MIN }).next.online).toBe(false);
  });

  it("says when, in the site's zone", () => {
    const t = transition(row("closed"), { state: "open" }, sensor("server-room"), { calendar, onsite: undefined, now: FRI_NIGHT });
    expect(t.findings[0]!.message).toBe("Server room opened outside business hours at Fri 2026-11-27 22:14 (America/New_York)");
  });
});

describe("timedFindings(): what time alone raises", () => {
  const started = FRI_DAY;
  const none = () => undefined;
  const open = row("open", { since: FRI_DAY, lastSeenAt: FRI_DAY });

  it.each([
    { name: "open less than held_open_after → nothing", states: [open], at: FRI_DAY + 2 * MIN - 1, current: none, want: [] },
    { name: "open for held_open_after → held open, critical", states: [open], at: FRI_DAY + 2 * MIN, current: none, want: [[RULES.heldOpen, "fail"]] },
    { name: "already reported held open → nothing new", states: [open], at: FRI_DAY + 10 * MIN, current: (r: string) => (r === RULES.heldOpen ? ("fail" as const) : undefined), want: [] },
    { name: "held open passed (closed, reopened) → raised again", states: [open], at: FRI_DAY + 10 * MIN, current: (r: string) => (r === RULES.heldOpen ? ("pass" as const) : undefined), want: [[RULES.heldOpen, "fail"]] },
    { name: "closed door is never held open", states: [row("closed", { since: FRI_DAY, lastSeenAt: FRI_DAY })], at: FRI_DAY + 60 * MIN, current: none, want: [] },
    { name: "silent for offline_after → offline warning", states: [row("closed", { lastSeenAt: FRI_DAY })], at: FRI_DAY + 120 * MIN, current: none, want: [[RULES.offline, "warn"]] },
    { name: "never heard from counts from the engine's start", states: [row("unknown")], at: started + 120 * MIN, current: none, want: [[RULES.offline, "warn"]] },
    { name: "already reported offline → nothing new", states: [row("closed", { lastSeenAt: FRI_DAY })], at: FRI_DAY + 180 * MIN, current: (r: string) => (r === RULES.offline ? ("warn" as const) : undefined), want: [] },
    { name: "a sensor without the rules (back door) → nothing", states: [row("open", { sensorId: "back-door", since: FRI_DAY })], at: FRI_DAY + 1000 * MIN, current: none, want: [] },
    { name: "a sensor no longer configured → nothing", states: [row("open", { sensorId: "gone", since: FRI_DAY })], at: FRI_DAY + 1000 * MIN, current: none, want: [] },
  ])("$name", ({ states, at, current, want }) => {
    const found = timedFindings(states, sensors, current, started, at);
    expect(found.map((f) => [f.rule, f.status])).toEqual(want);
  });

  it("words the findings with the configured durations", () => {
    const found = timedFindings([row("open", { since: FRI_DAY, lastSeenAt: FRI_DAY - 120 * MIN })], sensors, none, started, FRI_DAY + 2 * MIN);
    expect(found.map((f) => f.message)).toEqual(["Server room held open longer than 2m", "Server room has sent nothing for 2h"]);
  });
});

describe("inputFindings() and fmtMs()", () => {
  it("a failing input warns per sensor, a working one passes", () => {
    expect(inputFindings([sensor("back-door")], false, "gpiomon: no such chip").map((f) => [f.rule, f.subject, f.status, f.message])).toEqual([
      [RULES.inputError, "back-door", "warn", "Back door: input not working: gpiomon: no such chip"],
    ]);
    expect(inputFindings([sensor("back-door"), sensor("closet")], true, "started").map((f) => f.status)).toEqual(["pass", "pass"]);
  });

  it("formats durations", () => {
    expect([fmtMs(120_000), fmtMs(5_400_000), fmtMs(90_061_000), fmtMs(250)]).toEqual(["2m", "1h30m", "1d1h1m1s", "250ms"]);
  });
});
