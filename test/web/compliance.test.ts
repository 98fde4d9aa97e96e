/**
 * Compliance pages through the app: scorecard, registers kept by a manager (add, edit, close,
 * delete, CSV import with per-row errors, export, history), a viewer refused, evidence reports
 * generated, listed, downloaded and verified. Garbage in every form gets a message, never a 500.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { insertObservation } from "../../src/agent/store/observations.js";
import { addUser, call, makeHarness, signIn, T0, type Harness } from "./harness.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function harness(): Harness & { dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), "gh-compliance-"));
  dirs.push(dataDir);
  const h = makeHarness({}, `site: Acme\ntimezone: America/Phoenix\ndata_dir: ${dataDir}\nmonitors:\n  firewall: {}\n`);
  return { ...h, dataDir };
}

const upload = (name: string, text: string | Uint8Array) => {
  const fd = new FormData();
  fd.set("file", new File([text], name, { type: "text/csv" }));
  return fd;
};

const BAA = { covered_entity: "Desert Clinic <b>", contact: "Dr. Ames", phi_scope: "messages", signed_on: "2026-01-05", expires_on: "2027-01-04", copy_location: "binder 3" };

describe("scorecard page", () => {
  it("lists every control with citation, required/addressable, the 2025 item and 30/90/365 days", async () => {
    const h = harness();
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    const res = await call(h, "/compliance", { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="scorecard"');
    expect(html).toContain("164.308(a)(5)(ii)(B)");
    expect(html).toMatch(/required/);
    expect(html).toMatch(/addressable/);
    expect(html).toContain("Proposed 2025");
    expect(html).toContain("Multi-factor authentication required");
    for (const d of [30, 90, 365]) expect(html).toContain(`Last ${d} days`);
    expect(html).toContain('href="/compliance/baa"');
  });
});

describe("a manager keeps a register", () => {
  it("adds, refuses bad input keeping what was typed, edits, closes, deletes — each audited, with history", async () => {
    const h = harness();
    const cookie = await signIn(h, await addUser(h, "mia", "manager"));
    const added = await call(h, "/compliance/baa", { cookie, form: BAA });
    expect(added.status).toBe(303);
    expect(added.headers.get("Location")).toBe("/compliance/baa?done=added");
    const list = await (await call(h, "/compliance/baa?done=added", { cookie })).text();
    expect(list).toContain("Desert Clinic &lt;b&gt;");
    expect(list).toContain("Entry added.");

    const bad = await call(h, "/compliance/baa", { cookie, form: { ...BAA, covered_entity: "Kept Name", signed_on: "2026-02-30" } });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain("signed_on: expected a date YYYY-MM-DD");
    expect(badHtml).toContain('value="Kept Name"');

    const row = h.db.prepare("SELECT id FROM compliance_baas").get() as { id: number };
    const edited = await call(h, `/compliance/baa/${row.id}`, { cookie, form: { ...BAA, contact: "Dr. Baker" } });
    expect(edited.status).toBe(303);
    const page = await (await call(h, `/compliance/baa/${row.id}`, { cookie })).text();
    expect(page).toContain('value="Dr. Baker"');
    expect(page).toContain("register.baa.update");
    expect(page).toContain("register.baa.add");

    expect((await call(h, `/compliance/baa/${row.id}/close`, { cookie, form: {} })).status).toBe(303);
    expect((h.db.prepare("SELECT expires_on FROM compliance_baas WHERE id = ?").get(row.id) as { expires_on: string }).expires_on).toBe("2026-11-28");
    expect((await call(h, `/compliance/baa/${row.id}/close`, { cookie, form: {} })).status).toBe(409);

    expect((await call(h, "/compliance/incident", { cookie, form: { occurred_on: "2026-11-20", description: "phishing mail clicked", actions: "", closed_on: "" } })).status).toBe(303);
    const inc = h.db.prepare("SELECT id FROM compliance_incidents").get() as { id: number };
    expect((await call(h, `/compliance/incident/${inc.id}/close`, { cookie, form: {} })).status).toBe(303);
    expect(h.db.prepare("SELECT closed_on FROM compliance_incidents").get()).toEqual({ closed_on: "2026-11-28" });
    expect((await call(h, `/compliance/training/1/close`, { cookie, form: {} })).status).toBe(404);

    expect((await call(h, `/compliance/baa/${row.id}/delete`, { cookie, form: {} })).status).toBe(303);
    expect(h.db.prepare("SELECT count(*) AS n FROM compliance_baas").get()).toEqual({ n: 0 });
    const actions = (h.db.prepare("SELECT action, actor, address FROM audit WHERE action LIKE 'register.%' ORDER BY id").all() as { action: string; actor: string; address: string }[]);
    expect(actions.map((a) => a.action)).toEqual(["register.baa.add", "register.baa.update", "register.baa.update", "register.incident.add", "register.incident.update", "register.baa.delete"]);
    expect(actions.every((a) => a.actor === "user:mia" && a.address === "192.0.2.10")).toBe(true);
  });

  it("imports CSV (per-row errors shown, nothing written on error) and exports it back", async () => {
    const h = harness();
    const cookie = await signIn(h, await addUser(h, "mia", "manager"));
    const bad = await call(h, "/compliance/training/import", { cookie, multipart: upload("t.csv", "person,training,completed_on\nAnn,HIPAA basics,2026-03-01\nBob,,2026-13-01\n") });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain("nothing was changed");
    expect(html).toMatch(/Line 3: training: required; completed_on: expected a date/);
    expect(h.db.prepare("SELECT count(*) AS n FROM compliance_training").get()).toEqual({ n: 0 });

    const ok = await call(h, "/compliance/training/import", { cookie, multipart: upload("t.csv", "person,training,completed_on\nAnn,HIPAA basics,2026-03-01\n\"Bob, Jr.\",=HYPERLINK(1),2026-04-01\n") });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("Location")).toBe("/compliance/training?done=imported&added=2&updated=0");
    const csv = await (await call(h, "/compliance/training/export.csv", { cookie })).text();
    expect(csv).toContain("person,training,completed_on,due_on");
    expect(csv).toContain("'=HYPERLINK(1)");
    expect(csv).toContain('"Bob, Jr."');

    for (const [name, body, msg] of [
      ["bin.csv", new Uint8Array([0xff, 0xfe, 0x00, 0x41]), "not a UTF-8 text file"],
      ["empty.csv", "", "Choose a file"],
      ["head.csv", "colour,person\nred,Ann\n", "unknown column"],
    ] as const) {
      const res = await call(h, "/compliance/training/import", { cookie, multipart: upload(name, body) });
      expect(res.status, name).toBe(400);
      expect(await res.text(), name).toContain(msg);
    }
    const urlencoded = await call(h, "/compliance/training/import", { cookie, form: { file: "person\nAnn" } });
    expect(urlencoded.status).toBe(400);
  });

  it("garbage in register forms gets a message, never a 500", async () => {
    const h = harness();
    const cookie = await signIn(h, await addUser(h, "mia", "manager"));
    for (const form of [{}, { covered_entity: "x".repeat(5000), signed_on: "2026-01-01" }, { covered_entity: "a\u0000b", signed_on: "yesterday" }]) {
      const res = await call(h, "/compliance/baa", { cookie, form: form as Record<string, string> });
      expect(res.status).toBe(400);
    }
    const json = await call(h, "/compliance/baa", { cookie, method: "POST", headers: { "Content-Type": "application/json" } });
    expect(json.status).toBe(400);
    for (const p of ["/compliance/nope", "/compliance/baa/999", "/compliance/baa/abc", "/compliance/reports/..%2Fetc%2Fpasswd", "/compliance/reports/evidence-x.html"]) {
      expect((await call(h, p, { cookie })).status, p).toBe(404);
    }
  });
});

describe("viewers read registers and reports but do not change them", () => {
  it("sees entries and export, no forms; posts are refused and audited", async () => {
    const h = harness();
    const m = await signIn(h, await addUser(h, "mia", "manager"));
    await call(h, "/compliance/baa", { cookie: m, form: BAA });
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    const html = await (await call(h, "/compliance/baa", { cookie })).text();
    expect(html).toContain("Desert Clinic");
    expect(html).not.toContain('id="add-form"');
    expect(html).not.toContain('id="import-form"');
    expect((await call(h, "/compliance/baa/export.csv", { cookie })).status).toBe(200);
    expect((await call(h, "/compliance/baa", { cookie, form: BAA })).status).toBe(403);
    h.clock.advance(61_000); // refusals are written at most once a minute per user
    expect((await call(h, "/compliance/reports", { cookie, form: { from: "2026-11-01", to: "2026-11-27" } })).status).toBe(403);
    expect(h.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'access.denied'").get()).toEqual({ n: 2 });
  });
});

describe("evidence reports", () => {
  it("a manager generates one for a period; it is listed, downloadable as HTML and JSON, and verifies on upload", async () => {
    const h = harness();
    const cookie = await signIn(h, await addUser(h, "mia", "manager"));
    // Evidence from before the period (the store itself was created by this test, at the real time).
    insertObservation(h.db, { monitor: "firewall", startedAt: T0 - 40 * 86_400_000, durationMs: 1, status: "pass", outcome: "ok", evidence: "", facts: {}, findings: [] });
    const res = await call(h, "/compliance/reports", { cookie, form: { from: "2026-11-01", to: "2026-11-27" } });
    expect(res.status).toBe(303);
    const files = readdirSync(join(h.dataDir, "reports")).sort();
    const base = /^(evidence-2026-11-01_2026-11-27-\d+)\.html$/.exec(files[0]!)![1];
    expect(files).toEqual([`${base}.html`, `${base}.html.sig`, `${base}.json`, `${base}.json.sig`, `${base}.pub.pem`]);
    const list = await (await call(h, `/compliance/reports?generated=${base}.html`, { cookie })).text();
    for (const f of files) expect(list).toContain(f);
    const html = await call(h, `/compliance/reports/${base}.html`, { cookie });
    expect(html.headers.get("Content-Disposition")).toContain("attachment");
    const text = await html.text();
    const json = await (await call(h, `/compliance/reports/${base}.json`, { cookie })).text();
    expect(JSON.parse(json).period.from).toBe("2026-11-01");
    // The files verify with the CLI's own check (signatures by the box's key).
    const { verifyReport } = await import("../../src/agent/compliance/report.js");
    const read = (n: string) => readFileSync(join(h.dataDir, "reports", n));
    expect(verifyReport({ jsonText: json, signature: read(`${base}.json.sig`), publicKeyPem: read(`${base}.pub.pem`).toString(), htmlText: text, htmlSignature: read(`${base}.html.sig`) }).ok).toBe(true);

    const good = await (await call(h, "/compliance/reports/verify", { cookie, multipart: upload(`${base}.html`, text) })).text();
    expect(good).toContain("is intact: exactly the report generated by user:mia for 2026-11-01 to 2026-11-27");
    const goodJson = await (await call(h, "/compliance/reports/verify", { cookie, multipart: upload(`${base}.json`, json) })).text();
    expect(goodJson).toContain("is intact");
    const tampered = await (await call(h, "/compliance/reports/verify", { cookie, multipart: upload("r.html", text.replace("Acme", "Acne")) })).text();
    expect(tampered).toContain("was ALTERED: it claims to be the report generated by user:mia");
    const none = await (await call(h, "/compliance/reports/verify", { cookie, multipart: upload("x.html", "<p>hello</p>") })).text();
    expect(none).toContain("does not match any report generated on this box");
    const viewer = await signIn(h, await addUser(h, "vic", "viewer"));
    expect((await call(h, "/compliance/reports/verify", { cookie: viewer, multipart: upload(files[1]!, json) })).status).toBe(200);
  });

  it("refuses bad periods with a message", async () => {
    const h = harness();
    const cookie = await signIn(h, await addUser(h, "mia", "manager"));
    for (const form of [{ from: "2026-11-27", to: "2026-11-01" }, { from: "junk", to: "2026-11-01" }, { from: "2030-01-01", to: "2030-01-02" }, {}]) {
      const res = await call(h, "/compliance/reports", { cookie, form: form as Record<string, string> });
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(await res.text()).toContain('id="report-error"');
    }
  });
});
