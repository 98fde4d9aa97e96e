/**
 * One control registry: every source the product emits, and every rule it emits under it, maps to
 * the same control in every reader — alert routing, metrics labels, the catalog (digest, console),
 * the scorecard and the evidence report's alert section.
 */
import { describe, expect, it } from "vitest";
import { controlMapper } from "../../../src/agent/alerts/controls.js";
import { CATALOG } from "../../../src/agent/compliance/catalog.js";
import { platformFindings, registerFindings, type RegisterSnapshot } from "../../../src/agent/compliance/evaluate.js";
import type { RegisterRow } from "../../../src/agent/compliance/registers.js";
import { buildEvidenceReport } from "../../../src/agent/compliance/report.js";
import { scoreControls } from "../../../src/agent/compliance/scorecard.js";
import { controlRegistry, monitorControls, registryOf } from "../../../src/agent/controls/index.js";
import { HOST_CHECKS } from "../../../src/agent/controls/host-checks.js";
import { openDatabase } from "../../../src/agent/store/db.js";
import { MONITORS } from "../../../src/monitors/index.js";

const NOW = Date.parse("2026-06-15T18:00:00Z");
const row = (o: Record<string, unknown>): RegisterRow => ({ id: 1, created_at: 0, updated_at: 0, ...o }) as RegisterRow;
const empty = (): RegisterSnapshot => ({ baa: [], training: [], access_review: [], restore_test: [], incident: [] });

/** The compliance rules the evaluation really emits, over registers empty, good and bad. */
function complianceRules(): string[] {
  const bad: RegisterSnapshot = {
    baa: [row({ covered_entity: "A", signed_on: "2024-01-01", expires_on: "2025-01-01" }), row({ id: 2, covered_entity: "B", signed_on: "2026-01-01", expires_on: "2026-06-20" })],
    training: [row({ person: "Ana", training: "HIPAA", completed_on: "2024-01-01", due_on: "2025-01-01" })],
    access_review: [row({ reviewed_on: "2025-01-01", reviewer: "Mia" })],
    restore_test: [row({ tested_on: "2025-01-01", result: "fail", restore_hours: 100 })],
    incident: [row({ occurred_on: "2026-06-01", description: "x", closed_on: null })],
  };
  const good: RegisterSnapshot = {
    baa: [row({ covered_entity: "A", signed_on: "2026-01-01", expires_on: null })],
    training: [row({ person: "Ana", training: "HIPAA", completed_on: "2026-01-01", due_on: "2027-01-01" })],
    access_review: [row({ reviewed_on: "2026-06-01", reviewer: "Mia" })],
    restore_test: [row({ tested_on: "2026-06-01", result: "pass" })],
    incident: [row({ occurred_on: "2026-06-01", description: "x", closed_on: "2026-06-02" })],
  };
  const findings = [
    ...[empty(), bad, good].flatMap((r) => registerFindings(r, "2026-06-15")),
    ...platformFindings({ enabled: 0, withoutTotp: [] }, { ok: true, rows: 0 }),
    ...platformFindings({ enabled: 2, withoutTotp: ["bob"] }, { ok: false, rows: 3, brokenAt: 2, reason: "x" }),
    ...platformFindings({ enabled: 2, withoutTotp: [] }, { ok: true, rows: 3 }),
  ];
  return [...new Set(findings.map((f) => f.rule))];
}

/** Every (source, rule) the product emits, as far as the sources declare or emit them. */
function emitted(): { source: string; rule: string }[] {
  const doors = ["after_hours_open", "battery_low", "held_open", "input_error", "offline", "restricted_open", "tamper", "webhook"].map((r) => `doors.${r}`);
  return [
    ...MONITORS.flatMap((m) => [`${m.id}.policy_rule`, `${m.id}.drift`, ...Object.keys(m.ruleControls ?? {})].map((rule) => ({ source: m.id, rule }))),
    ...doors.map((rule) => ({ source: "doors", rule })),
    ...HOST_CHECKS.map((c) => ({ source: "host:1", rule: c.rule })),
    ...complianceRules().map((rule) => ({ source: "compliance", rule })),
    { source: "gatehouse", rule: "gatehouse.test" },
  ];
}

describe("the control registry", () => {
  const registry = controlRegistry();
  const pairs = emitted();

  it("knows what it is asked about (the lists are not empty)", () => {
    expect(pairs.length).toBeGreaterThan(40);
    expect(complianceRules().length).toBeGreaterThan(15);
  });

  it("routing, metrics and the registry give every source the same control", () => {
    const route = controlMapper();
    const metrics = monitorControls();
    for (const source of new Set(pairs.map((p) => p.source))) {
      const own = registry.controlOfSource(source);
      expect([source, route(source)]).toEqual([source, own]);
      if (MONITORS.some((m) => m.id === source)) expect([source, metrics.get(source)]).toEqual([source, MONITORS.find((m) => m.id === source)!.control]);
      for (const c of registry.controlsOfSource(source)) expect(registry.sourcesOf(c, [source])).toEqual([source]);
    }
    expect(route("doors")).toBe("physical");
    expect(route("gatehouse")).toBeUndefined();
  });

  it("the catalog, the scorecard and the report's alerts put every finding under the same control", () => {
    const catalogIds = new Set<string>(CATALOG.map((c) => c.id));
    const db = openDatabase(":memory:");
    db.prepare("UPDATE schema_migrations SET applied_at = ?").run(NOW - 86_400_000);
    const insert = db.prepare("INSERT INTO alerts (key, source, rule, subject, severity, state, message, opened_at) VALUES (?, ?, ?, '', 'warning', 'firing', 'm', ?)");
    pairs.forEach((p, i) => insert.run(`${p.source}|${p.rule}|${i}`, p.source, p.rule, NOW - 3_600_000));
    const report = buildEvidenceReport(db, { site: "T", timezone: "UTC", from: "2026-06-15", to: "2026-06-15", now: NOW, actor: "test" });
    const reported = new Map(report.alerts.map((a) => [`${a.source}|${a.rule}`, a.control]));
    const legacyMap = new Map(controlRegistry().sourceControls);
    for (const { source, rule } of pairs) {
      const control = registry.controlOfFinding(source, rule);
      if (control !== undefined) expect(catalogIds.has(control)).toBe(true);
      expect([source, rule, registryOf(legacyMap).controlOfFinding(source, rule)]).toEqual([source, rule, control]);
      expect([source, rule, reported.get(`${source}|${rule}`)]).toEqual([source, rule, control ?? null]);
      const scores = scoreControls({ now: NOW, staleAfterMs: 86_400_000, monitorControls: registry, sources: [{ source, lastAt: NOW, findings: [{ rule, subject: "", status: "warn", message: "m" }] }] });
      const placed = scores.filter((s) => s.evidence.some((e) => e.rule === rule)).map((s) => s.control.id);
      expect([source, rule, placed]).toEqual([source, rule, control ? [control] : []]);
    }
  });

  it("every compliance rule the evaluation emits belongs to a control", () => {
    for (const rule of complianceRules()) expect([rule, registry.controlOfFinding("compliance", rule)]).toEqual([rule, expect.any(String)]);
  });

  it("a probe failure counts for every control of its source (the accounts monitor evidences three)", () => {
    expect(registry.controlsOfSource("accounts").sort()).toEqual(["accounts", "least-privilege", "passwords"]);
    expect(registry.sourcesOf("passwords", MONITORS.map((m) => m.id))).toEqual(["accounts"]);
  });
});
