import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAudit } from "../../../src/agent/audit.js";
import { renderEvidenceReportHtml } from "../../../views/reports/evidence-report.js";
import { addRegisterRow } from "../../../src/agent/compliance/registers.js";
import { localMidnight } from "../../../src/kit/time.js";
import { buildEvidenceReport, generateEvidenceReport, ReportError, sha256Hex, verifyReport, type EvidenceReport } from "../../../src/agent/compliance/report.js";
import { keyFingerprint, loadOrCreateReportKey } from "../../../src/agent/compliance/report-key.js";
import { run as exec } from "../../../src/kit/exec.js";
import { canRun } from "../../helpers/require-tool.js";
import { openDatabase, openStore } from "../../../src/agent/store/db.js";
import { main } from "../../../src/commands/index.js";
import { D, H, NOW, PERIOD, seedNinetyDays, SEED_MONITORS, TZ } from "./seed.js";

const db = openDatabase(":memory:");
seedNinetyDays(db);
const keyDir = mkdtempSync(join(tmpdir(), "gh-report-key-"));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
const key = loadOrCreateReportKey(keyDir);
const opts = { site: "Acme Answering — Phoenix", timezone: TZ, ...PERIOD, now: NOW, actor: "os:auditor", monitors: SEED_MONITORS, key, render: renderEvidenceReportHtml };
const g = generateEvidenceReport(db, opts);
const r: EvidenceReport = JSON.parse(g.json.text) as EvidenceReport;
const control = (id: string) => r.controls.find((c) => c.id === id)!;

describe("evidence report for a seeded 90-day history", () => {
  it("has the site, the period in the site's time zone, and a summary", () => {
    expect(r.format).toBe("gatehouse-evidence-report/2");
    expect(r.site).toBe("Acme Answering — Phoenix");
    expect(r.period).toMatchObject({ from: "2026-03-17", to: "2026-06-14", from_utc: "2026-03-17T07:00:00.000Z", to_utc: "2026-06-15T07:00:00.000Z" });
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

  it("prints its seal — content digest, Ed25519 signature, key fingerprint — so a paper copy can be checked", () => {
    expect(g.seal.contentSha256).toBe(sha256Hex(g.json.text));
    expect(g.seal.keyFingerprint).toBe(key.fingerprint);
    const printed = g.html.text.slice(g.html.text.indexOf('id="seal"'));
    for (const s of [g.seal.contentSha256, g.seal.keyFingerprint, g.seal.signature]) expect(printed).toContain(s);
    expect(g.html.text).not.toContain("0".repeat(64));
    const files = { jsonText: g.json.text, htmlText: g.html.text, signature: Buffer.from(g.seal.signature, "base64"), htmlSignature: Buffer.from(g.html.signature, "base64"), publicKeyPem: key.publicKeyPem };
    expect(verifyReport(files)).toMatchObject({ ok: true });
    // Altered JSON: its signature fails. Altered HTML: its own signature fails.
    expect(verifyReport({ ...files, jsonText: g.json.text.replace("Saguaro Family Care", "Saguaro Family Cure") }).checks.find((c) => c.what === "signature")!.ok).toBe(false);
    const html = verifyReport({ ...files, htmlText: g.html.text.replace("Saguaro Family Care", "Saguaro Family Cure") });
    expect([html.ok, html.checks.find((c) => c.what === "html")!.ok]).toEqual([false, false]);
    // Re-sealed with another key: the signature fails against this box's key.
    const other = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(verifyReport({ ...files, publicKeyPem: other }).ok).toBe(false);
    expect(verifyReport({ ...files, signature: Buffer.from("garbage") }).ok).toBe(false);
    expect(verifyReport({ ...files, publicKeyPem: "not a key" }).ok).toBe(false);
  });

  it.skipIf(!canRun({ tools: ["openssl", "sha256sum"] }))("an auditor verifies it with sha256sum and openssl alone", async () => {
    const d = mkdtempSync(join(tmpdir(), "gh-openssl-"));
    try {
      writeFileSync(join(d, "report.json"), g.json.text);
      writeFileSync(join(d, "report.json.sig"), Buffer.from(g.seal.signature, "base64"));
      writeFileSync(join(d, "report.pub.pem"), key.publicKeyPem);
      expect((await exec("sha256sum", [join(d, "report.json")])).stdout.split(" ")[0]).toBe(g.seal.contentSha256);
      const ok = await exec("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(d, "report.pub.pem"), "-rawin", "-in", join(d, "report.json"), "-sigfile", join(d, "report.json.sig")]);
      expect(ok.stdout).toMatch(/Signature Verified Successfully/);
      const der = await exec("openssl", ["pkey", "-pubin", "-in", join(d, "report.pub.pem"), "-outform", "DER", "-out", join(d, "key.der")]);
      expect(der.code).toBe(0);
      expect(`sha256:${(await exec("sha256sum", [join(d, "key.der")])).stdout.split(" ")[0]}`).toBe(g.seal.keyFingerprint);
      writeFileSync(join(d, "report.json"), g.json.text.replace("Saguaro Family Care", "Saguaro Family Cure"));
      const bad = await exec("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(d, "report.pub.pem"), "-rawin", "-in", join(d, "report.json"), "-sigfile", join(d, "report.json.sig")], { okExitCodes: [0, 1] });
      expect(`${bad.stdout}${bad.stderr}`).toMatch(/Signature Verification Failure/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("the box's key is made once, 0600, and reloaded with the same fingerprint", () => {
    expect(statSync(join(keyDir, "report-key.pem")).mode & 0o777).toBe(0o600);
    expect(loadOrCreateReportKey(keyDir).fingerprint).toBe(key.fingerprint);
    expect(keyFingerprint(key.publicKeyPem)).toBe(key.fingerprint);
  });

  it("controls and registers never disagree: a BAA entered after the last daily evaluation shows in both", () => {
    const db2 = openDatabase(":memory:");
    seedNinetyDays(db2);
    addRegisterRow(db2, { name: "user:mia", role: "manager" }, "baa", { covered_entity: "Ironwood Urgent Care", signed_on: "2026-06-14", expires_on: "2028-06-14" }, NOW);
    const rep = buildEvidenceReport(db2, opts);
    expect(rep.registers[0]!.rows.map((x) => x.covered_entity)).toContain("Ironwood Urgent Care");
    expect(rep.controls.find((c) => c.id === "baa")!.evidence.map((e) => e.message)).toContainEqual(expect.stringMatching(/^BAA with Ironwood Urgent Care signed 2026-06-14/));
    // Every BAA entity of the registers section has its finding in the controls section.
    const entities = rep.registers[0]!.rows.map((x) => String(x.covered_entity));
    const subjects = new Set(rep.controls.find((c) => c.id === "baa")!.evidence.map((e) => e.subject));
    expect(entities.filter((e) => !subjects.has(e))).toEqual([]);
  });

  it("a period before Gatehouse kept any evidence is refused with the reason; a partly covered one says where data starts", () => {
    const fresh = openDatabase(":memory:");
    fresh.prepare("UPDATE schema_migrations SET applied_at = ?").run(Date.parse("2026-06-01T12:00:00Z"));
    expect(() => buildEvidenceReport(fresh, { ...opts, from: "2026-05-01", to: "2026-05-31" })).toThrow(/no data yet for 2026-05-01 to 2026-05-31: Gatehouse began keeping evidence on 2026-06-01T12:00:00.000Z/);
    const part = buildEvidenceReport(fresh, { ...opts, from: "2026-05-15", to: "2026-06-14" });
    expect(part.period.data_from_utc).toBe("2026-06-01T12:00:00.000Z");
    const t = part.controls.find((c) => c.id === "firewall")!.time_in_state_ms;
    expect(t.green + t.amber + t.red + t.grey).toBe(Date.parse(part.period.to_utc) - Date.parse("2026-06-01T12:00:00.000Z"));
  });

  it("says so when no door sensors are configured", () => {
    const empty = openDatabase(":memory:");
    empty.prepare("UPDATE schema_migrations SET applied_at = 0").run();
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
    // A fresh box has data only from today: a report of an earlier month is refused plainly.
    expect(await run("report", "--from", "2026-01-01", "--to", "2026-01-31", "--out", out)).toMatchObject({ code: 3, err: expect.stringMatching(/no data yet for 2026-01-01 to 2026-01-31/) as unknown as string });
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Phoenix" }).format(new Date());
    const rep = await run("report", "--from", today, "--to", today, "--out", out, "--json");
    expect(rep.code).toBe(0);
    const summary = JSON.parse(rep.out) as { html: string; json: string; signature: string; public_key: string; content_sha256: string; key_fingerprint: string };
    expect(summary).toMatchObject({ json: join(dir, "evidence.json"), signature: join(dir, "evidence.json.sig"), public_key: join(dir, "evidence.pub.pem") });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "data", "report-key.pem")).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, "utf8")).toContain("CLI Test Site");
    expect(readFileSync(out, "utf8")).toContain(summary.content_sha256);
    expect(await run("report", "verify", out)).toMatchObject({ code: 0 });
    expect(await run("report", "verify", summary.json)).toMatchObject({ code: 0 });
    expect((await run("report", "key")).out).toContain(`fingerprint ${summary.key_fingerprint}`);
    const html = readFileSync(out, "utf8");
    writeFileSync(out, html.replace("CLI Test Site", "CLI Test Sitf"));
    expect(await run("report", "verify", out)).toMatchObject({ code: 2, out: expect.stringContaining("FAILED  html") as unknown as string });
    writeFileSync(out, html);
    const json = readFileSync(summary.json, "utf8");
    writeFileSync(summary.json, json.replace("CLI Test Site", "CLI Test Sitf"));
    expect(await run("report", "verify", out)).toMatchObject({ code: 2, out: expect.stringContaining("FAILED  signature") as unknown as string });
    writeFileSync(summary.json, json);
    rmSync(summary.signature);
    expect(await run("report", "verify", out)).toMatchObject({ code: 2, out: expect.stringContaining("missing") as unknown as string });
    const store = openStore(join(dir, "data"));
    expect((store.prepare("SELECT count(*) AS n FROM audit WHERE action = 'report.generate'").get() as { n: number }).n).toBe(1);
    store.close();
  });

  it.each([
    [["report", "--from", "2026-01-01", "--to", "2026-01-31"], /--out is required/],
    [["report", "--from", "Jan 1", "--to", "2026-01-31", "--out", "x.html"], /--from must be a date/],
    [["report", "--from", new Intl.DateTimeFormat("en-CA", { timeZone: "America/Phoenix" }).format(new Date()), "--to", new Intl.DateTimeFormat("en-CA", { timeZone: "America/Phoenix" }).format(new Date()), "--out", "/nonexistent-dir/x.html"], /cannot write/],
    [["report", "--bogus"], /Unknown option/],
    [["register", "import", "baa"], /expected a register id and one CSV file/],
    [["register", "import", "baa", "/nonexistent.csv"], /cannot read/],
  ])("refuses %j", async (argv, re) => {
    const x = await run(...argv);
    expect(x.code).toBe(3);
    expect(x.err).toMatch(re);
  });
});
