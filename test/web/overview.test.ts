/**
 * The overview tells the truth at a glance: each tile shows its worst finding and what to do,
 * a summary line, register tiles, and every page reachable from the navigation.
 */
import { describe, expect, it } from "vitest";
import { seedObservation } from "../helpers/observations.js";
import type { Finding } from "../../src/agent/evaluator.js";
import { addUser, call, makeHarness, signIn, type Harness } from "./harness.js";

const YAML = `
site: Acme
timezone: America/Phoenix
data_dir: /nonexistent/x
monitors:
  antivirus: {}
  firewall: {}
  accounts: {}
  tls: {}
  inventory: {}
`;

function observe(h: Harness, monitor: string, findings: Finding[], outcome: "ok" | "not_applicable" = "ok") {
  const worst = findings.some((f) => f.status === "fail") ? "fail" : findings.some((f) => f.status === "warn") ? "warn" : findings.some((f) => f.status === "unknown") ? "unknown" : "pass";
  seedObservation(h.db, { monitor, startedAt: h.clock.now(), durationMs: 3, status: worst, outcome, evidence: "", facts: {}, findings });
}

const tile = (html: string, id: string) => {
  const m = new RegExp(`<li class="tile[^"]*" id="control-${id}"[\\s\\S]*?</li>`).exec(html);
  if (!m) throw new Error(`no tile ${id}`);
  return m[0];
};

async function overview(h: Harness): Promise<string> {
  const v = await addUser(h, "vic", "viewer");
  const cookie = await signIn(h, v);
  return (await call(h, "/", { cookie })).text();
}

describe("overview tiles show the worst finding and what to do", () => {
  it("anti-virus: clamd not answering outranks 'no approved baseline', with advice", async () => {
    const h = makeHarness({}, YAML);
    observe(h, "antivirus", [
      { rule: "antivirus.baseline_missing", kind: "drift", status: "warn", message: "no approved baseline, so changes cannot be detected", facts: [] },
      { rule: "antivirus.clamd_running", kind: "policy", status: "fail", message: "clamd is not answering on /run/clamav/clamd.ctl", facts: [] },
    ]);
    const t = tile(await overview(h), "antivirus");
    expect(t).toContain('data-status="fail"');
    expect(t).toContain("clamd is not answering");
    expect(t).not.toContain("no approved baseline");
    expect(t).toMatch(/What to do:<\/span> Start the anti-virus service/);
    expect(t).toContain("and 1 more");
  });

  it("firewall: a failing policy outranks a missing baseline and a drift", async () => {
    const h = makeHarness({}, YAML);
    observe(h, "firewall", [
      { rule: "firewall.baseline_missing", kind: "drift", status: "fail", message: "no approved baseline", facts: [] },
      { rule: "firewall.ipv4_filtered", kind: "policy", status: "fail", message: "IPv4 inbound traffic is not filtered: add `policy drop`", facts: [] },
    ]);
    const t = tile(await overview(h), "firewall");
    expect(t).toContain("IPv4 inbound traffic is not filtered: add <code>policy drop</code>");
    expect(t).not.toContain("`");
  });

  it("secure transmission: the console without TLS outranks the TLS monitor not applying", async () => {
    const h = makeHarness({ https: false }, YAML.replace("data_dir:", 'console: { listen: "127.0.0.1:8080", tls: off, public_url: "https://gh.test/" }\ndata_dir:'));
    observe(h, "tls", [{ rule: "tls.not_applicable", kind: "probe", status: "unknown", message: "no endpoints configured", facts: [] }], "not_applicable");
    const t = tile(await overview(h), "transmission");
    expect(t).toContain('data-status="warn"');
    expect(t).toContain("The console is served without TLS");
  });

  it("the three account tiles each show their own finding", async () => {
    const h = makeHarness({}, YAML);
    observe(h, "accounts", [
      { rule: "accounts.generic_name", kind: "policy", status: "fail", message: "shared account 'reception' exists", facts: [] },
      { rule: "accounts.sudo_not_allowed", kind: "policy", status: "warn", message: "bob may use sudo", facts: [] },
      { rule: "accounts.password_age", kind: "policy", status: "pass", message: "passwords are recent", facts: [] },
    ]);
    const html = await overview(h);
    expect(tile(html, "accounts")).toContain("shared account");
    expect(tile(html, "accounts")).toContain('data-status="fail"');
    expect(tile(html, "least-privilege")).toContain("bob may use sudo");
    expect(tile(html, "least-privilege")).toContain('data-status="warn"');
    expect(tile(html, "passwords")).toContain('data-status="pass"');
    expect(tile(html, "passwords")).not.toContain("shared account");
  });
});

describe("overview summary, register tiles, navigation", () => {
  it("says how many fail, warn and go unwatched, when the last check was (with the zone) and this month's score", async () => {
    const h = makeHarness({}, YAML);
    observe(h, "firewall", [{ rule: "firewall.ipv4_filtered", kind: "policy", status: "fail", message: "off", facts: [] }]);
    const html = await overview(h);
    const summary = /<p id="overview-summary"[\s\S]*?<\/p>/.exec(html)![0];
    expect(summary).toMatch(/<strong>\d+ failing<\/strong>/);
    expect(summary).toContain("1 failing");
    expect(summary).toMatch(/unwatched/);
    expect(summary).toContain("MST"); // America/Phoenix
    expect(summary).toMatch(/compliance this month: <a href="\/compliance">\d+%<\/a>/);
  });

  it("has a tile per register control linking to its register", async () => {
    const h = makeHarness({}, YAML);
    const html = await overview(h);
    for (const [control, register] of [["baa", "baa"], ["training", "training"], ["access-review", "access_review"], ["restore-test", "restore_test"], ["incident-response", "incident"]]) {
      expect(tile(html, control!)).toContain(`href="/compliance/${register}"`);
    }
    expect(tile(html, "baa")).toContain("No business associate agreement recorded");
  });

  it("reaches every page from the navigation (compliance, monitors with inventory)", async () => {
    const h = makeHarness({}, YAML);
    const html = await overview(h);
    const nav = /<nav[\s\S]*?<\/nav>/.exec(html)![0];
    for (const href of ["/", "/alerts", "/compliance", "/doors", "/monitors", "/account"]) expect(nav).toContain(`href="${href}"`);
    const v = await addUser(h, "val", "viewer");
    const cookie = await signIn(h, v);
    const monitors = await (await call(h, "/monitors", { cookie })).text();
    expect(monitors).toContain('href="/monitors/inventory"');
  });
});
