import { describe, expect, it } from "vitest";
import { appendAudit } from "../../../src/agent/audit.js";
import { CATALOG } from "../../../src/agent/compliance/catalog.js";
import { controlRegistry, registryOf } from "../../../src/agent/controls/index.js";
import { addRegisterRow, type RegisterActor } from "../../../src/agent/compliance/registers.js";
import { rolledHistory, scorecard, sourceHistory, type ControlScore, type ControlState } from "../../../src/agent/compliance/scorecard.js";
import { pruneObservations } from "../../../src/agent/store/observations.js";
import type { Finding } from "../../../src/agent/evaluator.js";
import { openDatabase, type Db } from "../../../src/agent/store/db.js";
import { seedObservation } from "../../helpers/observations.js";
import { RULE_CONTROLS } from "../../../src/monitors/accounts/policy.js";
import { CONTROL_IDS, type Status } from "../../../src/monitors/monitor.js";

const MONITORS = [
  { id: "firewall", control: "firewall" },
  { id: "accounts", control: "accounts" },
  { id: "patches", control: "updates" },
];
const manager: RegisterActor = { name: "user:mia", role: "manager" };
const H = 3_600_000;
const D = 24 * H;
const NOW = Date.parse("2026-06-15T18:00:00Z");

const finding = (rule: string, status: Status, message = rule, subject?: string): Finding => ({ rule, status, message, kind: "policy", facts: [], ...(subject ? { subject } : {}) });

function observe(db: Db, monitor: string, at: number, findings: Finding[], outcome: "ok" | "error" | "not_applicable" = "ok"): void {
  const order = { pass: 0, unknown: 1, warn: 2, fail: 3 } as const;
  const status = findings.reduce<Status>((w, f) => (order[f.status] > order[w] ? f.status : w), "pass");
  seedObservation(db, { monitor, startedAt: at, durationMs: 5, status, outcome, evidence: `${monitor} evidence at ${at}`, facts: {}, findings });
}

const score = (db: Db, now = NOW): Map<string, ControlScore> =>
  new Map(scorecard(db, { now, timezone: "America/Phoenix", monitors: MONITORS, historyDays: [30] }).map((s) => [s.control.id, s]));
const state = (db: Db, id: string, now = NOW): ControlState => score(db, now).get(id)!.state;

describe("the catalog", () => {
  it("covers every checklist control and the administrative ones, each cited", () => {
    const ids = CATALOG.map((c) => c.id);
    for (const c of CONTROL_IDS) expect(ids).toContain(c);
    for (const c of ["baa", "training", "access-review", "restore-test", "incident-response", "risk-analysis"]) expect(ids).toContain(c);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CATALOG) {
      expect(c.citations.length).toBeGreaterThan(0);
      for (const cite of c.citations) expect(cite).toMatch(/^164\.3\d\d\([a-z]\)/);
    }
    // The 2025 proposal items the issue names are all mapped.
    const proposed = CATALOG.map((c) => c.proposed2025 ?? "").join("\n");
    for (const word of [/multi-factor/i, /encryption/i, /asset inventory/i, /72 hours/, /48 hours/, /15 days/]) expect(proposed).toMatch(word);
  });

  it("maps the accounts monitor's rules to the controls its own policy declares", () => {
    const m = new Map([["accounts", "accounts"]]);
    for (const [rule, control] of Object.entries(RULE_CONTROLS)) expect([rule, registryOf(m).controlOfFinding("accounts", rule)]).toEqual([rule, control]);
  });

  it("maps by rule prefix first, then by the source's control", () => {
    const m = new Map([["firewall", "firewall"]]);
    expect(registryOf(m).controlOfFinding("firewall", "firewall.ipv6_open")).toBe("firewall");
    expect(registryOf(m).controlOfFinding("doors", "doors.after_hours")).toBe("physical");
    expect(registryOf(m).controlOfFinding("compliance", "compliance.baa_expired")).toBe("baa");
    expect(registryOf(m).controlOfFinding("compliance", "compliance.audit_chain")).toBe("audit");
    expect(registryOf(m).controlOfFinding("console", "console.totp_missing")).toBe("two-factor");
    expect(registryOf(m).controlOfFinding("nobody", "nobody.x")).toBeUndefined();
    expect(controlRegistry().ruleOverrides.length).toBeGreaterThan(10);
  });
});

describe("scorecard status follows its evidence", () => {
  it("no evidence at all → every control grey", () => {
    const db = openDatabase(":memory:");
    const s = score(db);
    expect([...s.values()].filter((c) => c.state !== "grey").map((c) => c.control.id)).toEqual([]);
    expect(s.get("firewall")!.reason).toMatch(/^No evidence|has not reported/);
  });

  it("a failing firewall → red; passing → green; silent for more than 48 h → grey", () => {
    const db = openDatabase(":memory:");
    observe(db, "firewall", NOW - H, [finding("firewall.enabled", "fail", "firewall is disabled")]);
    expect(state(db, "firewall")).toBe("red");
    expect(score(db).get("firewall")!.reason).toBe("firewall is disabled");
    observe(db, "firewall", NOW - 1000, [finding("firewall.enabled", "pass")]);
    expect(state(db, "firewall")).toBe("green");
    expect(state(db, "firewall", NOW + 3 * D)).toBe("grey");
  });

  it("a warning or an unverifiable check → amber", () => {
    const db = openDatabase(":memory:");
    observe(db, "patches", NOW - H, [finding("patches.security_updates", "warn")]);
    expect(state(db, "updates")).toBe("amber");
    observe(db, "patches", NOW - 10, [{ ...finding("patches.probe_error", "unknown"), kind: "probe" }], "error");
    expect(state(db, "updates")).toBe("amber");
  });

  it("training overdue → amber; completed in time → green", () => {
    const db = openDatabase(":memory:");
    addRegisterRow(db, manager, "training", { person: "Ana", training: "HIPAA awareness", completed_on: "2025-05-01" }, NOW);
    expect(state(db, "training")).toBe("amber");
    expect(score(db).get("training")!.reason).toMatch(/Training overdue: Ana — HIPAA awareness was due 2026-05-01/);
    addRegisterRow(db, manager, "training", { person: "Ana", training: "HIPAA awareness", completed_on: "2026-06-01" }, NOW);
    expect(state(db, "training")).toBe("green");
  });

  it("an expired BAA → red; expiring within 30 days → amber; valid → green", () => {
    const db = openDatabase(":memory:");
    const row = addRegisterRow(db, manager, "baa", { covered_entity: "Mesa Pediatrics", signed_on: "2024-06-01", expires_on: "2026-06-14" }, NOW);
    expect(state(db, "baa")).toBe("red");
    addRegisterRow(db, manager, "baa", { covered_entity: "Saguaro Family Care", signed_on: "2025-01-01", expires_on: "2027-01-01" }, NOW);
    expect(state(db, "baa")).toBe("red");
    expect(score(db).get("baa")!.evidence.map((e) => e.state)).toEqual(["red", "green"]);
    addRegisterRow(db, manager, "baa", { covered_entity: "Mesa Pediatrics", signed_on: "2026-06-14", expires_on: "2026-07-10" }, NOW);
    expect(state(db, "baa")).toBe("amber");
    void row;
  });

  it("restore tests, access reviews and incidents", () => {
    const db = openDatabase(":memory:");
    addRegisterRow(db, manager, "restore_test", { tested_on: "2026-06-01", result: "fail" }, NOW);
    expect(state(db, "restore-test")).toBe("red");
    addRegisterRow(db, manager, "restore_test", { tested_on: "2026-06-10", result: "pass", restore_hours: "3" }, NOW);
    expect(state(db, "restore-test")).toBe("green");
    addRegisterRow(db, manager, "access_review", { reviewed_on: "2026-01-02", reviewer: "Mia" }, NOW);
    expect(state(db, "access-review")).toBe("amber");
    addRegisterRow(db, manager, "access_review", { reviewed_on: "2026-05-02", reviewer: "Mia" }, NOW);
    expect(state(db, "access-review")).toBe("green");
    expect(state(db, "incident-response")).toBe("grey");
    addRegisterRow(db, manager, "incident", { occurred_on: "2026-06-01", description: "Phishing mail clicked" }, NOW);
    expect(state(db, "incident-response")).toBe("amber");
  });

  it("the accounts monitor's findings split over accounts, least-privilege and passwords", () => {
    const db = openDatabase(":memory:");
    observe(db, "accounts", NOW - H, [
      finding("accounts.generic_name", "pass"),
      finding("accounts.sudo_outside_allow", "fail", "bob can use sudo", "bob"),
      finding("accounts.password_age", "warn", "carol's password is 400 days old", "carol"),
      finding("accounts.empty_password", "pass"),
    ]);
    const s = score(db);
    expect([s.get("accounts")!.state, s.get("least-privilege")!.state, s.get("passwords")!.state]).toEqual(["green", "red", "amber"]);
    // A failed probe says nothing about any of them: amber for all three.
    observe(db, "accounts", NOW - 10, [{ ...finding("accounts.probe_error", "unknown"), kind: "probe" }], "error");
    const t = score(db);
    expect([t.get("accounts")!.state, t.get("least-privilege")!.state, t.get("passwords")!.state]).toEqual(["amber", "amber", "amber"]);
  });

  it("two-factor and audit come from the console users and the audit chain", () => {
    const db = openDatabase(":memory:");
    expect(state(db, "audit")).toBe("grey");
    appendAudit(db, { actor: "os:root", action: "test", at: NOW });
    expect(state(db, "audit")).toBe("green");
    expect(state(db, "two-factor")).toBe("grey");
    db.prepare("INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, created_at, created_by) VALUES ('mia', 'manager', 'h', 0, 'sealed', 0, 'test')").run();
    expect(state(db, "two-factor")).toBe("green");
    db.prepare("INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, created_at, created_by) VALUES ('old', 'admin', 'h', 0, '', 0, 'test')").run();
    expect(state(db, "two-factor")).toBe("red");
  });

  it("doors: no sensors → grey; a sensor with an open critical door alert → red", () => {
    const db = openDatabase(":memory:");
    expect(score(db).get("physical")!.reason).toMatch(/No door sensors configured|No evidence/);
    expect(state(db, "physical")).toBe("grey");
    db.prepare("INSERT INTO door_state (sensor_id, state) VALUES ('server-room', 'closed')").run();
    expect(state(db, "physical")).toBe("green");
    db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k', 'doors', 'doors.after_hours', 'critical', 'firing', 'Server room opened at 02:14', ?)").run(NOW - H);
    expect(state(db, "physical")).toBe("red");
  });
});

describe("history: time in each state", () => {
  it("each observation holds until the next, capped by staleness; the rest is grey", () => {
    const db = openDatabase(":memory:");
    const from = NOW - 10 * D;
    observe(db, "firewall", from - D, [finding("firewall.enabled", "pass")]); // before the window: covers its start
    observe(db, "firewall", from + 2 * D, [finding("firewall.enabled", "fail")]);
    observe(db, "firewall", from + 3 * D, [finding("firewall.enabled", "warn")]);
    observe(db, "firewall", from + 4 * D, [finding("firewall.enabled", "pass")]);
    // The first pass (at -1 d) is stale after 2 d: green for the window's first day, then grey
    // until the fail at +2 d. Silent from +4 d: 2 days of green, then grey until +10 d.
    const m = new Map([["firewall", "firewall"]]);
    const [t] = sourceHistory(db, "firewall", "firewall", [{ from, to: NOW }], 2 * D, m);
    expect(t).toEqual({ green: D + 2 * D, red: D, amber: D, grey: D + 4 * D });
    // Not-applicable outcomes count as grey.
    const db2 = openDatabase(":memory:");
    observe(db2, "firewall", from, [{ ...finding("firewall.not_applicable", "unknown"), kind: "probe" }], "not_applicable");
    expect(sourceHistory(db2, "firewall", "firewall", [{ from, to: from + D }], 2 * D, m)[0]).toEqual({ green: 0, amber: 0, red: 0, grey: D });
  });

  it("several windows come out of one query and agree", () => {
    const db = openDatabase(":memory:");
    for (let i = 0; i < 60; i++) observe(db, "firewall", NOW - (60 - i) * D, [finding("firewall.enabled", i % 10 === 0 ? "fail" : "pass")]);
    const m = new Map([["firewall", "firewall"]]);
    const [w30, w90] = sourceHistory(db, "firewall", "firewall", [{ from: NOW - 30 * D, to: NOW }, { from: NOW - 90 * D, to: NOW }], 2 * D, m);
    expect(w30).toEqual({ green: 27 * D, red: 3 * D, amber: 0, grey: 0 });
    expect(w90).toEqual({ green: 54 * D, red: 6 * D, amber: 0, grey: 30 * D });
  });

  it("a shared source's history is per control (accounts → least-privilege)", () => {
    const db = openDatabase(":memory:");
    const from = NOW - 4 * D;
    observe(db, "accounts", from, [finding("accounts.sudo_outside_allow", "fail", "x", "bob"), finding("accounts.generic_name", "pass")]);
    observe(db, "accounts", from + D, [finding("accounts.sudo_outside_allow", "pass"), finding("accounts.generic_name", "warn")]);
    observe(db, "accounts", from + 2 * D, [{ ...finding("accounts.probe_error", "unknown"), kind: "probe" }], "error");
    observe(db, "accounts", from + 3 * D, []);
    const m = new Map([["accounts", "accounts"]]);
    const w = [{ from, to: NOW }];
    expect(sourceHistory(db, "accounts", "least-privilege", w, 2 * D, m)[0]).toEqual({ red: D, green: D, amber: D, grey: D });
    expect(sourceHistory(db, "accounts", "accounts", w, 2 * D, m)[0]).toEqual({ green: D + D, amber: D + D, red: 0, grey: 0 });
  });

  it("the scorecard carries history per control, including register controls via the daily evaluation", () => {
    const db = openDatabase(":memory:");
    observe(db, "firewall", NOW - 20 * D, [finding("firewall.enabled", "pass")]);
    for (let i = 20; i > 0; i--) observe(db, "firewall", NOW - i * D, [finding("firewall.enabled", i > 5 ? "pass" : "fail")]);
    observe(db, "compliance", NOW - 10 * D, [finding("compliance.baa_expired", "fail", "expired", "Clinic")]);
    for (let i = 9; i > 0; i--) observe(db, "compliance", NOW - i * D, [finding("compliance.baa_valid", "pass", "ok", "Clinic")]);
    const s = score(db);
    expect(s.get("firewall")!.history[0]).toMatchObject({ days: 30, ms: { green: 15 * D, red: 5 * D, amber: 0, grey: 10 * D } });
    expect(s.get("baa")!.history[0]!.ms).toEqual({ red: D, green: 9 * D, amber: 0, grey: 20 * D });
  });

  it("daily rollups give exactly the live result, are computed once, and outlive pruned observations", () => {
    const db = openDatabase(":memory:");
    const statuses: Status[] = ["pass", "pass", "pass", "warn", "fail", "unknown"];
    // Irregular checks over 40 days, with a 3-day silence (grey after staleness).
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let t = NOW - 40 * D; t < NOW; t += Math.floor(rnd() * 5 * H) + 60_000) {
      if (t > NOW - 20 * D && t < NOW - 17 * D) continue;
      observe(db, "accounts", t, [finding("accounts.sudo_outside_allow", statuses[Math.floor(rnd() * statuses.length)]!), finding("accounts.generic_name", "pass")]);
    }
    const m = new Map([["accounts", "accounts"]]);
    const windows = [{ from: NOW - 30 * D - 5 * H, to: NOW }, { from: NOW - 7 * D, to: NOW - 2 * H }, { from: NOW - 3 * H, to: NOW }];
    for (const control of ["least-privilege", "accounts"]) {
      const live = sourceHistory(db, "accounts", control, windows, D, m);
      expect(rolledHistory(db, "accounts", control, windows, D, m, NOW)).toEqual(live);
      expect(rolledHistory(db, "accounts", control, windows, D, m, NOW)).toEqual(live);
    }
    const rows = (db.prepare("SELECT count(*) AS n FROM compliance_rollups").get() as { n: number }).n;
    expect(rows).toBe(2 * 29); // the 29 complete UTC days of the longest window, per control, each computed once
    const before = rolledHistory(db, "accounts", "least-privilege", [{ from: NOW - 30 * D - 5 * H, to: NOW - 10 * D - 3 * H }], D, m, NOW);
    pruneObservations(db, NOW - 9 * D);
    const after = rolledHistory(db, "accounts", "least-privilege", [{ from: NOW - 30 * D - 5 * H, to: NOW - 10 * D - 3 * H }], D, m, NOW);
    // Only the two partial edge days are lost with the pruned observations; whole days remain.
    expect(after[0]!.green + after[0]!.amber + after[0]!.red).toBeGreaterThan(0.85 * (before[0]!.green + before[0]!.amber + before[0]!.red));
  });
});

describe("scorecard fragment", () => {
  it("renders every control with its state badge and history, escaped", async () => {
    const { ScorecardTable } = await import("../../../views/reports/scorecard.js");
    const db = openDatabase(":memory:");
    addRegisterRow(db, manager, "baa", { covered_entity: "<img src=x onerror=alert(1)>", signed_on: "2024-01-01", expires_on: "2025-01-01" }, NOW);
    observe(db, "firewall", NOW - 2 * D, [finding("firewall.enabled", "pass")]);
    observe(db, "firewall", NOW - D, [finding("firewall.enabled", "fail", "firewall off")]);
    const scores = scorecard(db, { now: NOW, timezone: "UTC", monitors: MONITORS });
    const html = String(ScorecardTable({ scores }));
    expect(html.startsWith('<table id="scorecard"')).toBe(true);
    expect(html.match(/<tr id="scorecard-/g)).toHaveLength(CATALOG.length);
    expect(html).toContain('<tr id="scorecard-firewall" data-state="red">');
    expect(html).toContain('<span class="badge badge-fail">Red</span>');
    expect(html).toContain("Last 365 days");
    // 30 days: one day green, one day red, the rest no evidence (whole percent, rounded).
    expect(html).toContain('<tr id="scorecard-firewall" data-state="red"><th scope="row">Host firewall</th>');
    expect(html).toMatch(/<td>firewall off<\/td><td>[^<]*<\/td><td>3% \/ 0% \/ 3% \/ 93%<\/td>/);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).not.toContain("<img");
  });
});
