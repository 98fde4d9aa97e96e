/**
 * The fleet examples stay true to /metrics: every metric the Prometheus rules and the Grafana
 * dashboard use is one that Gatehouse exposes.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMetricsRegistry } from "../../src/agent/metrics.js";
import { openDatabase } from "../../src/agent/store/db.js";

const EXAMPLES = resolve(import.meta.dirname, "../../systemd/examples");
const METRIC = /\b((?:gatehouse|process|nodejs)_[a-z0-9_]+)/g;

async function exposed(): Promise<Set<string>> {
  const db = openDatabase(":memory:");
  try {
    const text = await (await createMetricsRegistry({ db, dataDir: "/nonexistent" })).metrics();
    const names = new Set(parsePrometheusTextFormat(text).map((f) => f.name));
    // Families with no sample yet still declare themselves in HELP lines.
    for (const m of text.matchAll(/^# HELP (\S+)/gm)) names.add(m[1]!);
    return names;
  } finally {
    db.close();
  }
}

describe("fleet examples", () => {
  it("prometheus-rules.yml is well-formed and uses only exposed metrics", async () => {
    const doc = parse(readFileSync(`${EXAMPLES}/prometheus-rules.yml`, "utf8")) as { groups: { rules: { alert: string; expr: string; labels: { severity: string } }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    const names = await exposed();
    for (const r of rules) {
      expect(r.alert).toMatch(/^Gatehouse[A-Za-z]+$/);
      expect(["critical", "warning"]).toContain(r.labels.severity);
      for (const m of r.expr.matchAll(METRIC)) expect(names, `${r.alert}: ${m[1]}`).toContain(m[1]);
    }
  });

  it("alertmanager.yml parses", () => {
    const doc = parse(readFileSync(`${EXAMPLES}/alertmanager.yml`, "utf8")) as { route: { receiver: string }; receivers: { name: string }[] };
    expect(doc.receivers.map((r) => r.name)).toContain(doc.route.receiver);
  });

  it("grafana-dashboard.json uses only exposed metrics", async () => {
    const dash = JSON.parse(readFileSync(`${EXAMPLES}/grafana-dashboard.json`, "utf8")) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
    expect(dash.uid).toBe("gatehouse-overview");
    const names = await exposed();
    for (const p of dash.panels) for (const t of p.targets) for (const m of t.expr.matchAll(METRIC)) expect(names, `${p.title}: ${m[1]}`).toContain(m[1]);
  });
});
