import { describe, expect, it } from "vitest";
import { canAcknowledge, decide, noticeDue, severityFor, type Decision, type OpenAlert, type Observed } from "../../../src/agent/alerts/transitions.js";

const M = 60_000;
const WINDOW = 10 * M;
const NOW = 1_000 * M;
const fail: Observed = { status: "fail", kind: "policy", rule: "firewall.disabled" };
const warn: Observed = { status: "warn", kind: "policy", rule: "patches.pending" };
const pass: Observed = { status: "pass", kind: "policy", rule: "firewall.disabled" };
const probeErr: Observed = { status: "unknown", kind: "probe", rule: "firewall.probe_error" };
const notApplicable: Observed = { status: "unknown", kind: "probe", rule: "wifi.not_applicable" };
const baselineMissing: Observed = { status: "warn", kind: "drift", rule: "firewall.baseline_missing" };

const open = (o: Partial<OpenAlert> = {}): OpenAlert => ({ id: 1, severity: "critical", state: "firing", lastNotifiedAt: NOW - M, goodSince: null, flapCount: 0, ...o });

describe("severityFor", () => {
  it.each<[Observed, string | undefined]>([
    [fail, "critical"],
    [warn, "warning"],
    [baselineMissing, "info"],
    [probeErr, "warning"],
    [notApplicable, undefined],
    [pass, undefined],
  ])("%j → %s", (o, s) => expect(severityFor(o)).toBe(s));
});

// Each row: the open alert before (or none), what was observed (or nothing: finding gone), the
// decision, and whether that decision sends anything.
const table: [string, OpenAlert | undefined, Observed | undefined, number, Decision][] = [
  ["nothing open, pass → nothing", undefined, pass, NOW, { action: "none" }],
  ["nothing open, gone → nothing", undefined, undefined, NOW, { action: "none" }],
  ["nothing open, fail → open critical, notify", undefined, fail, NOW, { action: "open", severity: "critical", notify: true }],
  ["nothing open, warn → open warning, notify", undefined, warn, NOW, { action: "open", severity: "warning", notify: true }],
  ["nothing open, not applicable → nothing", undefined, notApplicable, NOW, { action: "none" }],
  ["firing critical, fail again → nothing (same key never fires twice)", open(), fail, NOW, { action: "none" }],
  ["firing warning, fail → escalate, notify", open({ severity: "warning" }), fail, NOW, { action: "update", severity: "critical", notify: true }],
  ["firing critical, warn → de-escalate quietly", open(), warn, NOW, { action: "update", severity: "warning", notify: false }],
  ["acknowledged warning, fail → escalate, notify", open({ severity: "warning", state: "acknowledged" }), fail, NOW, { action: "update", severity: "critical", notify: true }],
  ["firing, pass → start flap window, no notice", open(), pass, NOW, { action: "pending", goodSince: NOW }],
  ["firing, gone → start flap window, no notice", open(), undefined, NOW, { action: "pending", goodSince: NOW }],
  ["pending 5m, pass → still pending", open({ goodSince: NOW - 5 * M }), pass, NOW, { action: "none" }],
  ["pending 10m, pass → resolve, one recovery notice", open({ goodSince: NOW - WINDOW }), pass, NOW, { action: "resolve", notify: true }],
  ["pending 10m, acknowledged → resolve with notice", open({ goodSince: NOW - WINDOW, state: "acknowledged" }), undefined, NOW, { action: "resolve", notify: true }],
  ["pending, never announced (silenced) → resolve quietly", open({ goodSince: NOW - WINDOW, lastNotifiedAt: null }), pass, NOW, { action: "resolve", notify: false }],
  ["pending, fail again → relapse (flap), no notice", open({ goodSince: NOW - 3 * M }), fail, NOW, { action: "relapse", severity: "critical", notify: false }],
  ["pending warning, fail → relapse with escalation, notify", open({ goodSince: NOW - 3 * M, severity: "warning" }), fail, NOW, { action: "relapse", severity: "critical", notify: true }],
];

describe("decide", () => {
  it.each(table)("%s", (_name, o, obs, now, want) => {
    expect(decide(o, obs, now, WINDOW)).toEqual(want);
  });

  it("flap window 0 resolves at the first good observation", () => {
    expect(decide(open(), pass, NOW, 0)).toEqual({ action: "resolve", notify: true });
  });
});

describe("noticeDue", () => {
  const R = 4 * 60 * M;
  it.each<[string, OpenAlert, number, "firing" | "reminder" | undefined]>([
    ["just notified → nothing", open({ lastNotifiedAt: NOW }), NOW + M, undefined],
    ["renotify_after passed → reminder", open({ lastNotifiedAt: NOW }), NOW + R, "reminder"],
    ["one ms short → nothing", open({ lastNotifiedAt: NOW }), NOW + R - 1, undefined],
    ["acknowledged → never", open({ lastNotifiedAt: NOW, state: "acknowledged" }), NOW + 10 * R, undefined],
    ["in flap window → nothing", open({ lastNotifiedAt: NOW, goodSince: NOW + R }), NOW + 2 * R, undefined],
    ["never announced (silenced) → firing", open({ lastNotifiedAt: null }), NOW, "firing"],
  ])("%s", (_n, o, now, want) => expect(noticeDue(o, now, R)).toBe(want));

  it("renotify_after 0 turns reminders off", () => {
    expect(noticeDue(open({ lastNotifiedAt: 0 }), NOW, 0)).toBeUndefined();
  });
});

describe("canAcknowledge", () => {
  it.each([
    ["firing", true],
    ["acknowledged", false],
    ["resolved", false],
  ] as const)("%s → %s", (s, ok) => expect(canAcknowledge(s)).toBe(ok));
});
