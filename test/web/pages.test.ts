/** The pages: escaping of hostile names, acknowledge, baseline approval, silences, doors, audit, settings. */
import { describe, expect, it } from "vitest";
import { auditChain, verifyAudit } from "../../src/agent/audit.js";
import { seedObservation } from "../helpers/observations.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvCell } from "../../src/kit/csv.js";
import { effectiveConfigYaml } from "../../src/web/data.js";

const csvField = (v: string | number) => csvCell(v, { quoteAll: true });
import { addUser, call, makeHarness, signIn, type Harness } from "./harness.js";

const HOSTILE = `<img src=x onerror=alert(1)>"'&`;

function observe(h: Harness, facts: Record<string, unknown>, status: "pass" | "fail" = "pass", message = "ok") {
  seedObservation(h.db, {
    monitor: "firewall",
    startedAt: h.clock.now(),
    durationMs: 12,
    status,
    outcome: "ok",
    evidence: `evidence ${HOSTILE}`,
    facts: facts as never,
    findings: status === "pass" ? [] : [{ rule: "firewall.drift", kind: "drift", status, message, facts: [] }],
  });
}

function firing(h: Harness, message = "firewall off") {
  return Number(
    h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES (?, 'firewall', 'firewall.enabled', 'critical', 'firing', ?, ?)").run(`k${Math.random()}`, message, h.clock.now()).lastInsertRowid,
  );
}

describe("escaping", () => {
  it("renders an SSID, a door name, evidence and messages containing markup as text", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    observe(h, { "wifi.ssid": `<script>alert("ssid")</script>`, "firewall.enabled": false }, "fail", `SSID <b>Evil</b> seen`);
    firing(h, `SSID "<script>alert(2)</script>" is broadcast`);
    h.db.prepare("INSERT INTO door_events (sensor_id, source, received_at, payload_sha256, state, outcome) VALUES ('lobby', 'webhook', ?, 'x', 'open', 'alarm')").run(h.clock.now());
    const pages = await Promise.all(["/", "/monitors/firewall", "/alerts", "/doors", "/audit"].map(async (p) => [p, await (await call(h, p, { cookie })).text()] as const));
    for (const [p, html] of pages) {
      expect(html, p).not.toContain("<script>alert");
      expect(html, p).not.toContain("<img src=x");
      expect(html, p).not.toContain("<b>Evil</b>");
      expect(html, p).not.toContain("<b>Site</b>"); // the site name itself is hostile in the test config
    }
    const monitor = pages.find(([p]) => p === "/monitors/firewall")![1];
    expect(monitor).toContain("&lt;script&gt;alert(");
    expect(monitor).toContain("evidence &lt;img src=x onerror=alert(1)&gt;");
    const doors = pages.find(([p]) => p === "/doors")![1];
    expect(doors).toContain("&lt;script&gt;alert(1)&lt;/script&gt;Lobby");
  });
});

describe("alerts", () => {
  it("a manager acknowledges with a note: fragment for htmx, redirect without JS, audited before → after", async () => {
    const h = makeHarness();
    const m = await addUser(h, "mia", "manager");
    const cookie = await signIn(h, m);
    const id1 = firing(h);
    const id2 = firing(h, "disk full");
    const frag = await call(h, `/alerts/${id1}/ack`, { cookie, form: { note: "on it <b>now</b>" }, headers: { "HX-Request": "true" } });
    expect(frag.status).toBe(200);
    const html = await frag.text();
    expect(html).toMatch(/^<div id="alerts-list">/);
    expect(html).toContain("Acknowledged by user:mia");
    expect(html).toContain("on it &lt;b&gt;now&lt;/b&gt;");
    expect((await call(h, `/alerts/${id2}/ack`, { cookie, form: { note: "  " } })).status).toBe(400);
    const plain = await call(h, `/alerts/${id2}/ack`, { cookie, form: { note: "restarting it" } });
    expect(plain.status).toBe(303);
    expect((await call(h, `/alerts/${id2}/ack`, { cookie, form: { note: "again" } })).status).toBe(409);
    const row = h.db.prepare("SELECT actor, detail_json, address FROM audit WHERE action = 'alerts.ack' ORDER BY id LIMIT 1").get() as { actor: string; detail_json: string; address: string };
    expect(row.actor).toBe("user:mia");
    expect(row.address).toBe("192.0.2.10");
    expect(JSON.parse(row.detail_json)).toMatchObject({ note: "on it <b>now</b>" });
    expect((await call(h, "/alerts/999/ack", { cookie, form: { note: "x" } })).status).toBe(404);
  });

  it("an admin adds and ends a silence through the alerting module", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    expect((await call(h, "/silences", { cookie, form: { match: "firewall.*", hours: "4", reason: "maintenance" } })).status).toBe(303);
    expect(await (await call(h, "/alerts", { cookie })).text()).toContain("firewall.*");
    const bad = await call(h, "/silences", { cookie, form: { match: "<x>", hours: "4", reason: "r" } });
    expect(bad.status).toBe(400);
    expect((await call(h, "/silences/1/end", { cookie, form: {} })).status).toBe(303);
    expect((await call(h, "/silences/1/end", { cookie, form: {} })).status).toBe(404);
  });
});

describe("monitor detail and baseline approval", () => {
  it("shows the drift diff and lets an admin approve with a reason (required)", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    const { approveBaseline } = await import("../../src/agent/baseline.js");
    const { MONITORS } = await import("../../src/monitors/index.js");
    const fw = MONITORS.find((m) => m.id === "firewall")!;
    const [k1, k2] = fw.baselineFacts as readonly string[];
    const before = { [k1!]: "v1", [k2!]: ["22/tcp"] };
    observe(h, before);
    approveBaseline(h.db, fw, before, { actor: "os:root", reason: "initial", now: h.clock.now() });
    h.clock.advance(60_000);
    observe(h, { [k1!]: "v2", [k2!]: ["22/tcp", "3389/tcp"] }, "fail", "ruleset drifted");
    const page = await (await call(h, "/monitors/firewall", { cookie })).text();
    expect(page).toContain('id="drift"');
    expect(page).toContain("Approve as new baseline");
    expect(page).toContain("<ins>3389/tcp</ins>");
    expect((await call(h, "/monitors/firewall/baseline", { cookie, form: { reason: "   " } })).status).toBe(400);
    const res = await call(h, "/monitors/firewall/baseline", { cookie, form: { reason: "new VPN rule" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/monitors/firewall?approved=1");
    const row = h.db.prepare("SELECT actor, detail_json, address FROM audit WHERE action = 'baseline.approve' ORDER BY id DESC LIMIT 1").get() as { actor: string; detail_json: string; address: string };
    expect(row.actor).toBe("user:alice");
    expect(row.address).toBe("192.0.2.10");
    expect(JSON.parse(row.detail_json).reason).toBe("new VPN rule");
    expect(JSON.parse(row.detail_json).after).toEqual({ [k1!]: "v2", [k2!]: ["22/tcp", "3389/tcp"] });
    expect(JSON.parse(row.detail_json).before).toEqual(before);
    expect(await (await call(h, "/monitors/firewall", { cookie })).text()).not.toContain('id="drift"');
  });

  it("unknown monitors are 404", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    expect((await call(h, "/monitors/nope", { cookie })).status).toBe(404);
    expect((await call(h, "/monitors/nope/baseline", { cookie, form: { reason: "x" } })).status).toBe(404);
  });
});

describe("doors", () => {
  it("a manager declares 'on site until'; bad times are refused with a message", async () => {
    const h = makeHarness();
    const m = await addUser(h, "mia", "manager");
    const cookie = await signIn(h, m);
    expect((await call(h, "/doors/onsite", { cookie, form: { until: "25:99", reason: "inventory" } })).status).toBe(400);
    expect((await call(h, "/doors/onsite", { cookie, form: { until: "23:30", reason: "inventory" } })).status).toBe(303);
    const page = await (await call(h, "/doors?declared=1", { cookie })).text();
    expect(page).toContain("mia is on site until");
    const frag = await call(h, "/doors", { cookie, headers: { "HX-Request": "true" } });
    expect(frag.headers.get("Vary")).toContain("HX-Request");
    expect(await frag.text()).toMatch(/^<div id="doors-live" hx-get="\/doors"/);
  });
});

describe("audit log", () => {
  it("filters, exports CSV (formula-safe), and the chain detects an edited row", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    await call(h, "/login", { form: { username: "=cmd|' /C calc'!A0", password: "wrong-password-1", code: "1" } });
    const page = await (await call(h, "/audit?action=login.", { cookie })).text();
    expect(page).toContain("Hash chain intact");
    expect(page).toContain("login.success");
    expect(page).not.toContain("access.denied");
    const csv = await (await call(h, "/audit.csv?action=login.failure", { cookie })).text();
    expect(csv.split("\r\n")[0]).toBe("id,at,actor,address,action,target,detail,prev_hash,hash");
    // A name that is no account is not recorded at all (it may be a mistyped password); fields are quoted and a leading formula character neutralized (below).
    expect(csv).toContain(`"user:(unknown)"`);
    expect(csv).not.toContain("calc");
    expect(csvField("=1+1")).toBe(`"'=1+1"`);
    expect(csvField('a"b')).toBe(`"a""b"`);
    expect(csvField("-2")).toBe(`"'-2"`);
    // Tamper: drop the append-only trigger (as an attacker with file access could) and edit a row.
    h.db.exec("DROP TRIGGER audit_no_update");
    h.db.prepare("UPDATE audit SET actor = 'user:nobody' WHERE action = 'login.success'").run();
    const v = verifyAudit(h.db);
    expect(v.ok).toBe(false);
    // Pages show the chain as last verified in the background; an edit behind the checkpoint is
    // found by the next full walk (at start, daily, or asked for, as here).
    await auditChain(h.db).walk({ full: true });
    const tampered = await (await call(h, "/audit", { cookie })).text();
    expect(tampered).toContain("Hash chain BROKEN");
    const overview = await (await call(h, "/", { cookie })).text();
    expect(overview).toMatch(/id="control-audit" data-status="fail"|id="control-audit"[^>]*data-status="fail"/);
  });

  it("a deleted row is detected too", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    await signIn(h, a);
    await signIn(h, a);
    h.db.exec("DROP TRIGGER audit_no_delete");
    h.db.prepare("DELETE FROM audit WHERE id = 1").run();
    expect(verifyAudit(h.db).ok).toBe(false);
  });
});

describe("settings", () => {
  it("shows the configuration as the user wrote it (YAML, their names and units), secrets masked, and queues a test notification (audited)", async () => {
    const yaml = `
site: Acme
timezone: UTC
data_dir: /nonexistent/x
console: { listen: "127.0.0.1:8443", tls: auto, password_max_age_days: 180 }
monitors:
  firewall: {}
alerts:
  renotify_after: 4h
  email: { smtp: { host: smtp.example.org, port: 587, require_tls: true, user: alerts, password_file: /etc/gatehouse/smtp.pass }, from: "g@example.org", to: ["it@example.org"] }
doors:
  business_hours: { mon-fri: "07:00-19:00" }
`;
    const dir = mkdtempSync(join(tmpdir(), "gh-settings-"));
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, yaml);
    const { makeHarness: mk } = await import("./harness.js");
    let kicked = 0;
    const h = mk({ routes: [{ channel: "email", minSeverity: "info" }], onEnqueued: () => kicked++ }, yaml, file);
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    const page = await (await call(h, "/settings", { cookie })).text();
    const shown = /<pre id="effective-config">([\s\S]*?)<\/pre>/.exec(page)![1]!;
    expect(shown).toContain("password_file: /etc/gatehouse/smtp.pass");
    expect(shown).toContain("renotify_after: 4h");
    expect(shown).toContain("password_max_age_days: 180");
    expect(shown).toContain("mon-fri: 07:00-19:00");
    expect(shown).not.toMatch(/maxPasswordAgeDays|14400000|\[\]/);
    const masked = effectiveConfigYaml(`mqtt: { url: "mqtts://u:hunter2hunter2@broker:8883", password: inline-secret, password_file: /etc/p }\n`);
    expect(masked).not.toContain("hunter2hunter2");
    expect(masked).not.toContain("inline-secret");
    expect(masked).toContain("mqtts://u:••••••@broker:8883");
    expect(masked).toContain("password_file: /etc/p");
    expect(() => effectiveConfigYaml("a: [")).toThrow();
    rmSync(dir, { recursive: true, force: true });
    // A file that went away: a sentence, not a 500.
    const gone = await call(h, "/settings", { cookie });
    expect(gone.status).toBe(200);
    expect(await gone.text()).toContain("cannot be read now");
    const res = await call(h, "/settings/test-notification", { cookie, form: {} });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/settings?sent=1");
    expect(kicked).toBe(1);
    expect(h.db.prepare("SELECT event, channel FROM outbox").all()).toEqual([{ event: "test", channel: "email" }]);
    expect(h.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'notify.test'").get()).toEqual({ n: 1 });
  });
});

describe("overview", () => {
  it("has one tile per checklist control, with status, last checked and the problem", async () => {
    const h = makeHarness();
    const v = await addUser(h, "vic", "viewer");
    const cookie = await signIn(h, v);
    observe(h, { "firewall.enabled": false }, "fail", "firewall is off");
    const html = await (await call(h, "/", { cookie })).text();
    const ids = [...html.matchAll(/id="control-([a-z-]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(["antivirus", "firewall", "updates", "backups", "physical", "wifi", "accounts", "least-privilege", "passwords", "two-factor", "transmission", "audit", "baa", "training", "access-review", "restore-test", "incident-response"]);
    expect(html).toMatch(/id="control-firewall" data-status="fail"/);
    expect(html).toContain("firewall is off");
    expect(html).toMatch(/id="control-two-factor" data-status="pass"/);
    expect(html).toContain('hx-trigger="every 15s"');
  });
});
