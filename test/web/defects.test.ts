/** Issue 15's listed console defects, each pinned by a test that failed before its fix. */
import { describe, expect, it } from "vitest";
import { consoleUrl } from "../../src/agent/agent.js";
import { parseConfigText } from "../../src/agent/config/load.js";
import { seedObservation } from "../helpers/observations.js";
import { toAlertView } from "../../src/agent/alerts/rows.js";
import { queryAlerts } from "../../src/agent/store/alerts.js";
import { alertLines } from "../../src/commands/alerts.js";
import { MONITORS } from "../../src/monitors/index.js";
import { addUser, call, makeHarness, signIn, type Harness } from "./harness.js";

function alert(h: Harness, severity: string, message: string, at = h.clock.now()): number {
  return Number(
    h.db
      .prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES (?, 'firewall', 'firewall.x', ?, 'firing', ?, ?)")
      .run(`k-${Math.random()}`, severity, message, at).lastInsertRowid,
  );
}

async function admin(h: Harness): Promise<string> {
  return signIn(h, await addUser(h, "alice", "admin"));
}

describe("monitor page wording", () => {
  it("a monitor that does not apply says so, not 'probe error'", async () => {
    const h = makeHarness();
    seedObservation(h.db, { monitor: "firewall", startedAt: h.clock.now(), durationMs: 1, status: "unknown", outcome: "not_applicable", error: "no firewall tool installed", evidence: "", facts: {}, findings: [{ rule: "firewall.not_applicable", kind: "probe", status: "unknown", message: "no firewall tool installed", facts: [] }] });
    const html = await (await call(h, "/monitors/firewall", { cookie: await admin(h) })).text();
    expect(html).not.toContain("probe error");
    expect(html).toContain("does not apply to this box: no firewall tool installed");
  });

  it("renders `code` spans as <code> in findings and alerts, never raw backticks", async () => {
    const h = makeHarness();
    seedObservation(h.db, { monitor: "firewall", startedAt: h.clock.now(), durationMs: 1, status: "fail", outcome: "ok", evidence: "", facts: {}, findings: [{ rule: "firewall.ipv4_filtered", kind: "policy", status: "fail", message: "run `nft list ruleset` <now>", facts: [] }] });
    alert(h, "critical", "add `policy drop` to the input chain");
    const cookie = await admin(h);
    const monitor = await (await call(h, "/monitors/firewall", { cookie })).text();
    expect(monitor).toContain("run <code>nft list ruleset</code> &lt;now&gt;");
    const alerts = await (await call(h, "/alerts", { cookie })).text();
    expect(alerts).toContain("add <code>policy drop</code> to the input chain");
    expect(alerts).not.toContain("`");
  });

  it("console times name the site's zone", async () => {
    const h = makeHarness();
    alert(h, "critical", "x");
    const alerts = await (await call(h, "/alerts", { cookie: await admin(h) })).text();
    expect(alerts).toMatch(/<time datetime="[^"]+">2026-11-28 12:0\d UTC<\/time>/);
  });
});

describe("baseline approval tells the truth at once", () => {
  it("after approving, the findings no longer say 'no approved baseline' (before the monitor re-runs); htmx gets the updated fragment", async () => {
    const h = makeHarness();
    const fw = MONITORS.find((m) => m.id === "firewall")!;
    const facts = Object.fromEntries(fw.baselineFacts.map((k) => [k, "v1"]));
    seedObservation(h.db, {
      monitor: "firewall",
      startedAt: h.clock.now(),
      durationMs: 1,
      status: "warn",
      outcome: "ok",
      evidence: "",
      facts,
      findings: [{ rule: "firewall.baseline_missing", kind: "drift", status: "warn", message: "no approved baseline, so changes cannot be detected", facts: [] }],
    });
    const cookie = await admin(h);
    expect(await (await call(h, "/monitors/firewall", { cookie })).text()).toContain("no approved baseline");
    const res = await call(h, "/monitors/firewall/baseline", { cookie, form: { reason: "reviewed" }, headers: { "HX-Request": "true" } });
    expect(res.status).toBe(200);
    const frag = await res.text();
    expect(frag.startsWith('<div id="monitor-live">')).toBe(true);
    expect(frag).toContain("Baseline approved");
    expect(frag).not.toContain("no approved baseline");
    expect(frag).toContain("What is observed now matches the baseline.");
    // And the plain page after the redirect, still before any re-run.
    expect(await (await call(h, "/monitors/firewall?approved=1", { cookie })).text()).not.toContain("no approved baseline");
  });
});

describe("alerts", () => {
  it("are listed most severe first", async () => {
    const h = makeHarness();
    alert(h, "info", "an info notice", h.clock.now());
    alert(h, "critical", "older critical", h.clock.now() - 60_000);
    alert(h, "warning", "a warning", h.clock.now() + 1);
    alert(h, "critical", "newer critical", h.clock.now() + 2);
    const html = await (await call(h, "/alerts", { cookie: await admin(h) })).text();
    const order = ["newer critical", "older critical", "a warning", "an info notice"].map((m) => html.indexOf(m));
    expect(order.every((x) => x > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("`gatehouse alerts list` keeps its columns aligned past #9, without backticks", () => {
    const h = makeHarness();
    for (let i = 0; i < 10; i++) alert(h, "warning", `message ${i} with \`code\``);
    const lines = alertLines(queryAlerts(h.db, { state: "all", limit: 1000 }).reverse().map(toAlertView));
    const col = (l: string) => l.indexOf("firing");
    expect(new Set(lines.map(col)).size).toBe(1);
    expect(lines[0]).toMatch(/^#1  {2}firing/);
    expect(lines[9]).toMatch(/^#10 {2}firing/);
    expect(lines.join("\n")).not.toContain("`");
  });
});

describe("favicon and links", () => {
  it("/favicon.ico answers (no 404 on every page)", async () => {
    const h = makeHarness();
    const res = await call(h, "/favicon.ico");
    expect(res.status).toBe(301);
    const icon = await call(h, res.headers.get("Location")!);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("Content-Type")).toBe("image/svg+xml");
  });

  it("a public_url written without a trailing slash still gives /enroll/… links", async () => {
    const yaml = `site: A\ntimezone: UTC\ndata_dir: /nonexistent/x\nconsole: { listen: "127.0.0.1:8080", tls: off, public_url: "http://127.0.0.1:8080" }\n`;
    const config = parseConfigText(yaml, "/nonexistent/g.yaml");
    expect(new URL("enroll/TOKEN", consoleUrl(config)).href).toBe("http://127.0.0.1:8080/enroll/TOKEN");
    expect(`${consoleUrl(config)}enroll/TOKEN`).toBe("http://127.0.0.1:8080/enroll/TOKEN");
    const h = makeHarness({}, `site: A\ntimezone: UTC\ndata_dir: /nonexistent/x\nconsole: { listen: "127.0.0.1:8443", tls: auto, public_url: "https://gh.test" }\n`);
    const cookie = await admin(h);
    const page = await (await call(h, "/users", { cookie, form: { username: "newbie", role: "viewer" } })).text();
    expect(page).toMatch(/https:\/\/gh\.test\/enroll\/[A-Za-z0-9_-]{22}/);
  });
});

describe("form messages", () => {
  it("POST /login without a code asks for it in words, not zod's", async () => {
    const h = makeHarness();
    const res = await call(h, "/login", { form: { username: "alice", password: "x" } });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("Fill in code.");
    expect(html).not.toMatch(/Invalid input|expected string|received undefined/);
    // The user name typed stays in the form; the password never comes back.
    expect(html).toMatch(/id="username"[^>]*value="alice"/);
    expect(html).not.toMatch(/value="x"/);
  });
});
