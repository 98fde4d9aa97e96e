import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAudit } from "../../../src/agent/audit.js";
import { buildEvidenceReport, generateEvidenceReport, localMidnight, ReportError, SEAL_PLACEHOLDER, sha256Hex, verifySealedReport, type EvidenceReport } from "../../../src/agent/compliance/report.js";
import { openDatabase, openStore } from "../../../src/agent/store/db.js";
import { main } from "../../../src/commands/index.js";
import { D, H, NOW, PERIOD, seedNinetyDays, SEED_MONITORS, TZ } from "./seed.js";

const db = openDatabase(":memory:");
seedNinetyDays(db);
const opts = { site: "Acme Answering — Phoenix", timezone: TZ, ...PERIOD, now: NOW, actor: "os:auditor", monitors: SEED_MONITORS };
const g = generateEvidenceReport(db, opts);
const r: EvidenceReport = JSON.parse(g.json.text) as EvidenceReport;
const control = (id: string) => r.controls.find((c) => c.id === id)!;

describe("evidence report for a seeded 90-day history", () => {
  it("has the site, the period in the site's time zone, and a summary", () => {
    expect(r.format).toBe("gatehouse-evidence-report/1");
    expect(r.site).toBe("Acme Answering — Phoenix");
    expect(r.period).toEqual({ from: "2026-03-17", to: "2026-06-14", from_utc: "2026-03-17T07:00:00.000Z", to_utc: "2026-06-15T07:00:00.000Z" });
    expect(r.summary.audit_chain_ok).toBe(true);
    expect(Object.values(r.summary.controls).reduce((a, b) => a + b, 0)).toBe(r.controls.length);
  });

  it("each control's time in state over the period, with evidence excerpts", () => {
    const fw = control("firewall");
    expect(fw.citations).toEqual(["164.308(a)(1)(ii)(B)", "164.312(e)(1)"]);
    expect(fw.worst_state).toBe("red");
    expect(fw.end_state).toBe("green");
    expect(fw.time_in_state_ms.red).toBe(2 * D);
    expect(fw.time_in_state_ms.green + fw.time_in_state_ms.red).toBe(90 * D);
    expect(fw.percent_in_state).toEqual({ green: 98, amber: 0, red: 2, grey: 0 });
    expect(fw.excerpts[0]!.text).toContain("policy drop");
    const up = control("updates");
    expect([up.worst_state, up.end_state]).toEqual(["amber", "amber"]);
    expect(up.evidence[0]!.message).toMatch(/openssl/);
    expect(control("least-privilege").end_state).toBe("green");
    expect(control("two-factor").end_state).toBe("green");
    expect(control("wifi").worst_state).toBe("grey");
    expect(control("risk-analysis").worst_state).toBe("grey");
    // Register controls come from the daily evaluations: Saguaro's BAA expired 2026-05-01.
    const baa = control("baa");
    expect(baa.worst_state).toBe("red");
    expect(baa.evidence.map((e) => e.rule)).toContain("compliance.baa_expired");
    expect(baa.time_in_state_ms.grey).toBe(30 * D + 11 * H); // no evaluation before the last 60 days (the period ends 11 h before NOW)
    expect(control("training").evidence.some((e) => /Ben Ortiz — Phishing was due 2026-04-01/.test(e.message))).toBe(true);
  });

  it("alerts with how they were resolved", () => {
    const fw = r.alerts.find((a) => a.source === "firewall")!;
    expect(fw).toMatchObject({ severity: "critical", state: "resolved", control: "firewall", acknowledged: { by: "user:mia", note: "IT re-enabling after kernel update" } });
    expect(fw.resolution).toBe("resolved after 2.0 days; acknowledged by user:mia: IT re-enabling after kernel update");
    const patches = r.alerts.find((a) => a.source === "patches")!;
    expect(patches).toMatchObject({ severity: "warning", resolved_at: null, resolution: "open, not acknowledged" });
    expect(r.alerts.some((a) => a.source === "compliance" && a.rule === "compliance.baa_expired" && a.severity === "critical")).toBe(true);
    expect(r.summary.alerts_open_at_end).toBeGreaterThan(0);
  });

  it("baseline approvals with reasons, door events after hours, registers, audit verification", () => {
    expect(r.baseline_approvals).toEqual([{ at: new Date(NOW - 86 * D).toISOString(), actor: "os:it-admin", monitor: "firewall", reason: "Opened 5060/udp for the new SIP trunk (ticket 4411)" }]);
    expect(r.doors.configured).toBe(true);
    expect(r.doors.after_hours.map((d) => d.outcome)).toEqual(["alarm", "onsite"]);
    expect(r.doors.after_hours[1]!.onsite).toEqual({ declared_by: "Mia Chen", reason: "Quarterly UPS battery swap" });
    expect(r.registers.map((x) => [x.id, x.rows.length])).toEqual([["baa", 3], ["training", 2], ["access_review", 1], ["restore_test", 1], ["incident", 1]]);
    expect(r.registers[0]!.rows.map((x) => x.covered_entity)).toContain("Saguaro Family Care");
    expect(r.audit).toMatchObject({ ok: true, broken_at: null });
    expect(r.audit.entries_in_period).toBeGreaterThan(0);
  });

  it("the HTML has every section, escapes register contents, and embeds no script", () => {
    const html = g.html.text;
    for (const id of ["summary", "controls", "alerts", "baselines", "doors", "registers", "audit", "seal", "control-firewall", "register-baa"]) expect(html).toContain(`id="${id}"`);
    for (const text of ["Saguaro Family Care", "Opened 5060/udp for the new SIP trunk", "Quarterly UPS battery swap", "IT re-enabling after kernel update", "164.308(a)(7)(ii)(A)", "verified unbroken"]) expect(html).toContain(text);
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Clinic");
    expect(html).toContain("<style>");
  });

  it("both files carry a SHA-256 seal that detects any change", () => {
    for (const [text, sha] of [[g.html.text, g.html.sha256], [g.json.text, g.json.sha256]] as const) {
      expect(verifySealedReport(text)).toEqual({ ok: true, sha256: sha, computed: sha });
      expect(sha256Hex(text.replace(sha, SEAL_PLACEHOLDER))).toBe(sha);
      const tampered = text.replace("Saguaro Family Care", "Saguaro Family Cure");
      expect(verifySealedReport(tampered).ok).toBe(false);
    }
    expect(r.sha256).toBe(g.json.sha256);
  });

  it("is itself recorded in the audit log, and the chain still verifies", () => {
    const row = db.prepare("SELECT * FROM audit WHERE id = ?").get(g.auditId) as { actor: string; action: string; target: string; detail_json: string };
    expect(row).toMatchObject({ actor: "os:auditor", action: "report.generate", target: "2026-03-17..2026-06-14" });
    expect(JSON.parse(row.detail_json)).toMatchObject({ html_sha256: g.html.sha256, json_sha256: g.json.sha256 });
    expect(verifyAudit(db).ok).toBe(true);
  });

  it("says so when no door sensors are configured", () => {
    const empty = openDatabase(":memory:");
    const e = buildEvidenceReport(empty, { ...opts });
    expect(e.doors).toEqual({ configured: false, sensors: [], note: "no door sensors configured", after_hours: [] });
    expect(e.controls.every((c) => c.worst_state === "grey")).toBe(true);
  });

  it.each([
    [{ from: "2026-13-01" }, /dates must be YYYY-MM-DD/],
    [{ from: "2026-06-10", to: "2026-06-01" }, /before --from/],
    [{ from: "2027-01-01", to: "2027-01-02" }, /in the future/],
  ])("refuses bad periods %j", (p, re) => {
    expect(() => buildEvidenceReport(db, { ...opts, ...p })).toThrow(ReportError);
    expect(() => buildEvidenceReport(db, { ...opts, ...p })).toThrow(re);
  });

  it("local midnight is DST-safe", () => {
    expect(new Date(localMidnight("2026-03-08", "America/New_York")).toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(new Date(localMidnight("2026-03-09", "America/New_York")).toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(new Date(localMidnight("2026-06-01", "UTC")).toISOString()).toBe("2026-06-01T00:00:00.000Z");
  });
});

describe("gatehouse report / register (CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-report-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, "gatehouse.yaml");
  writeFileSync(config, `site: "CLI Test Site"\ntimezone: America/Phoenix\ndata_dir: ${JSON.stringify(join(dir, "data"))}\n`);
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([...argv, "--config", config], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("imports a CSV, refuses a malformed one with per-row errors, exports, writes and verifies a report", async () => {
    const good = join(dir, "baa.csv");
    writeFileSync(good, '\ufeffcovered_entity,signed_on,expires_on\r\n"Mesa, Pediatrics",2025-01-15,2027-01-15\r\n');
    expect(await run("register", "import", "baa", good)).toMatchObject({ code: 0, out: "Business associate agreements: 1 added, 0 updated" });
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "covered_entity,signed_on\r\nOK Clinic,2025-01-01\r\nBad Clinic,yesterday\r\n");
    const b = await run("register", "import", "baa", bad);
    expect(b.code).toBe(1);
    expect(b.err).toContain('line 3: signed_on: expected a date YYYY-MM-DD, got "yesterday"');
    const list = await run("register", "list", "baa", "--json");
    expect((JSON.parse(list.out) as unknown[]).length).toBe(1);
    const exp = await run("register", "export", "baa");
    expect(exp.out).toContain('"Mesa, Pediatrics"');
    expect((await run("register", "list", "nope")).code).toBe(3);

    const out = join(dir, "evidence.html");
    const rep = await run("report", "--from", "2026-01-01", "--to", "2026-01-31", "--out", out, "--json");
    expect(rep.code).toBe(0);
    const summary = JSON.parse(rep.out) as { html: string; json: string; html_sha256: string };
    expect(summary.json).toBe(join(dir, "evidence.json"));
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, "utf8")).toContain("CLI Test Site");
    expect(await run("report", "verify", out)).toMatchObject({ code: 0 });
    expect(await run("report", "verify", summary.json)).toMatchObject({ code: 0 });
    writeFileSync(out, readFileSync(out, "utf8").replace("CLI Test Site", "CLI Test Sitf"));
    expect(await run("report", "verify", out)).toMatchObject({ code: 2 });
    const store = openStore(join(dir, "data"));
    expect((store.prepare("SELECT count(*) AS n FROM audit WHERE action = 'report.generate'").get() as { n: number }).n).toBe(1);
    store.close();
  });

  it.each([
    [["report", "--from", "2026-01-01", "--to", "2026-01-31"], /--out is required/],
    [["report", "--from", "Jan 1", "--to", "2026-01-31", "--out", "x.html"], /--from must be a date/],
    [["report", "--from", "2026-01-01", "--to", "2026-01-31", "--out", "/nonexistent-dir/x.html"], /cannot write/],
    [["report", "--bogus"], /Unknown option/],
    [["register", "import", "baa"], /expected a register id and one CSV file/],
    [["register", "import", "baa", "/nonexistent.csv"], /cannot read/],
  ])("refuses %j", async (argv, re) => {
    const x = await run(...argv);
    expect(x.code).toBe(3);
    expect(x.err).toMatch(re);
  });
});
