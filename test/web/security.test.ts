/** Headers on every response, CSRF refusals, and garbage input on every form. */
import { describe, expect, it } from "vitest";
import { CSP } from "../../src/web/security.js";
import { addUser, call, makeHarness, ORIGIN, signIn } from "./harness.js";

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

function expectHeaders(res: Response, https = true): void {
  expect(res.headers.get("Content-Security-Policy")).toBe(EXPECTED_CSP);
  expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(res.headers.get("Referrer-Policy")).toBe("same-origin");
  expect(res.headers.get("Permissions-Policy")).toMatch(/camera=\(\)/);
  expect(res.headers.get("X-Frame-Options")).toBe("DENY");
  if (https) expect(res.headers.get("Strict-Transport-Security")).toMatch(/max-age=\d{7,}/);
  else expect(res.headers.get("Strict-Transport-Security")).toBeNull();
}

describe("security headers", () => {
  it("are on every kind of response: pages, fragments, assets, redirects, 404, 403, 413, 500", async () => {
    expect(CSP).toBe(EXPECTED_CSP);
    const h = makeHarness();
    const admin = await addUser(h, "alice", "admin");
    const viewer = await addUser(h, "vic", "viewer");
    const a = await signIn(h, admin);
    const v = await signIn(h, viewer);
    const responses: [string, Response][] = [
      ["login page", await call(h, "/login")],
      ["redirect to login", await call(h, "/")],
      ["overview", await call(h, "/", { cookie: a })],
      ["fragment", await call(h, "/", { cookie: a, headers: { "HX-Request": "true" } })],
      ["htmx", await call(h, "/static/htmx.min.js")],
      ["css", await call(h, "/static/console.css")],
      ["404", await call(h, "/no/such/page")],
      ["403 role", await call(h, "/users", { cookie: v })],
      ["403 csrf", await call(h, "/logout", { form: {}, headers: { Origin: "https://evil.example" } })],
      ["413", await call(h, "/login", { form: { username: "x".repeat(70_000), password: "p", code: "1" } })],
      ["healthz", await call(h, "/healthz")],
      ["login failure", await call(h, "/login", { form: { username: "x", password: "y", code: "1" } })],
      ["csv", await call(h, "/audit.csv", { cookie: a })],
    ];
    for (const [name, res] of responses) {
      try {
        expectHeaders(res);
      } catch (e) {
        throw new Error(`${name} (${res.status}): ${(e as Error).message}`);
      }
    }
    expect(responses.find(([n]) => n === "413")![1].status).toBe(413);
    // A failing handler still gets the headers, and says nothing of the cause.
    h.db.close();
    const broken = await call(h, "/login");
    expect(broken.status).toBe(500);
    expectHeaders(broken);
    expect(await broken.text()).not.toMatch(/database|sqlite|at .*\.ts/i);
  });

  it("no HSTS over plain http (tls: off on loopback)", async () => {
    const h = makeHarness({ https: false });
    expectHeaders(await call(h, "/login"), false);
  });

  it("pages and fragments vary on HX-Request; the fragment is the tiles alone", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    const cookie = await signIn(h, u);
    const page = await call(h, "/", { cookie });
    const frag = await call(h, "/", { cookie, headers: { "HX-Request": "true" } });
    expect(page.headers.get("Vary")).toMatch(/HX-Request/);
    expect(frag.headers.get("Vary")).toMatch(/HX-Request/);
    const pageHtml = await page.text();
    const fragHtml = await frag.text();
    expect(pageHtml).toMatch(/^<!doctype html><html lang="en">/);
    expect(fragHtml).toMatch(/^<section id="overview-tiles"/);
    expect(pageHtml).toContain(fragHtml.slice(0, 60));
    // Boosted navigation gets the whole page.
    expect(await (await call(h, "/", { cookie, headers: { "HX-Request": "true", "HX-Boosted": "true" } })).text()).toMatch(/^<!doctype html>/);
  });

  it("pages contain no inline script, no inline style, and configure htmx without eval", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    for (const path of ["/", "/alerts", "/doors", "/users", "/audit", "/settings", "/account", "/monitors/firewall", "/login"]) {
      const html = await (await call(h, path, { cookie })).text();
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html, path).not.toMatch(/\sstyle=/);
      expect(html, path).not.toMatch(/<style/);
      expect(html, path).not.toMatch(/\shx-on/);
      expect(html, path).not.toMatch(/\son[a-z]+=/);
      if (path !== "/login") expect(html, path).toContain('name="htmx-config"');
    }
    const html = await (await call(h, "/login")).text();
    const meta = /<meta name="htmx-config" content="([^"]*)"/.exec(html)![1]!.replace(/&quot;/g, '"');
    expect(JSON.parse(meta)).toMatchObject({ allowEval: false, includeIndicatorStyles: false, allowScriptTags: false });
  });
});

describe("CSRF", () => {
  const cases: [string, Record<string, string>][] = [
    ["a cross-origin Origin", { Origin: "https://evil.example", "Sec-Fetch-Site": "same-origin" }],
    ["no Origin header", { "Sec-Fetch-Site": "same-origin" }],
    ["Sec-Fetch-Site: cross-site", { Origin: ORIGIN, "Sec-Fetch-Site": "cross-site" }],
    ["Sec-Fetch-Site: same-site", { Origin: ORIGIN, "Sec-Fetch-Site": "same-site" }],
    ["Origin: null and no Sec-Fetch-Site", { Origin: "null" }],
    ["Origin: null from a cross-site page", { Origin: "null", "Sec-Fetch-Site": "cross-site" }],
    ["Origin: null claiming Sec-Fetch-Site: same-origin", { Origin: "null", "Sec-Fetch-Site": "same-origin" }],
    ["an origin differing only in scheme", { Origin: "http://gh.test" }],
    ["an origin differing only in port", { Origin: "https://gh.test:8443" }],
  ];
  for (const [name, headers] of cases) {
    it(`refuses a state change with ${name}, before anything happens`, async () => {
      const h = makeHarness();
      const u = await addUser(h, "alice", "admin");
      const cookie = await signIn(h, u);
      h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k', 'firewall', 'firewall.x', 'critical', 'firing', 'm', 1)").run();
      const res = await call(h, "/alerts/1/ack", { cookie, form: { note: "csrf" }, bare: true, headers });
      expect(res.status).toBe(403);
      expect((h.db.prepare("SELECT state FROM alerts").get() as { state: string }).state).toBe("firing");
      const out = await call(h, "/logout", { cookie, form: {}, bare: true, headers });
      expect(out.status).toBe(403);
      expect((await call(h, "/", { cookie })).status).toBe(200);
      const login = await call(h, "/login", { form: { username: "alice", password: u.password, code: "123456" }, bare: true, headers });
      expect(login.status).toBe(403);
    });
  }

  it("accepts a same-origin post: Origin with Sec-Fetch-Site (current browsers, Referrer-Policy: same-origin), and Origin alone (older browser)", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "manager");
    const cookie = await signIn(h, u);
    h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k', 'firewall', 'firewall.x', 'critical', 'firing', 'm', 1)").run();
    h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k2', 'firewall', 'firewall.x', 'critical', 'firing', 'm', 1)").run();
    const res = await call(h, "/alerts/1/ack", { cookie, form: { note: "ok" }, bare: true, headers: { Origin: ORIGIN } });
    expect(res.status).toBe(303);
    const current = await call(h, "/alerts/2/ack", { cookie, form: { note: "ok" }, bare: true, headers: { Origin: ORIGIN, "Sec-Fetch-Site": "same-origin" } });
    expect(current.status).toBe(303);
  });

  it("never changes state on GET", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    for (const path of ["/logout", "/alerts/1/ack", "/users", "/silences", "/settings/test-notification", "/monitors/firewall/baseline"]) {
      const before = h.db.prepare("SELECT count(*) AS n FROM audit").get();
      const res = await call(h, path, { cookie });
      expect([200, 404]).toContain(res.status);
      expect(h.db.prepare("SELECT count(*) AS n FROM audit").get(), path).toEqual(before);
    }
    expect((await call(h, "/", { cookie })).status).toBe(200);
  });
});

describe("garbage input", () => {
  const garbage: [string, RequestInit["body"] | undefined, string | undefined][] = [
    ["empty form", "", "application/x-www-form-urlencoded"],
    ["JSON body", '{"username":"alice"}', "application/json"],
    ["no content type", "username=alice", undefined],
    ["broken multipart", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n", "multipart/form-data; boundary=x"],
    ["binary", "\u0000\u0001\u00ff%%%", "application/x-www-form-urlencoded"],
    ["huge field", `note=${"a".repeat(10_000)}`, "application/x-www-form-urlencoded"],
    ["repeated fields", "role=admin&role=viewer&match=a&match=b", "application/x-www-form-urlencoded"],
    ["control characters", "note=%00%1b[31m&match=%0a&reason=%07&role=root&username=..%2F", "application/x-www-form-urlencoded"],
    ["bad percent-encoding", "match=%E0%A4%A&username=%&hours=%", "application/x-www-form-urlencoded"],
  ];

  it("no form post anywhere answers 500 or changes anything when fed garbage", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k', 'firewall', 'firewall.x', 'critical', 'firing', 'm', 1)").run();
    const { routes } = h;
    const usersBefore = JSON.stringify(h.db.prepare("SELECT * FROM users").all());
    for (const spec of routes.filter((r) => r.method === "POST" && r.path !== "/logout")) {
      const path = spec.path.replace(":id", spec.path.startsWith("/monitors") ? "firewall" : "1").replace(":token", "AAAAAAAAAAAAAAAAAAAAAA");
      for (const [name, body, type] of garbage) {
        const headers: Record<string, string> = { Origin: ORIGIN, "Sec-Fetch-Site": "same-origin", Cookie: `__Host-gh_session=${cookie}` };
        if (type) headers["Content-Type"] = type;
        const res = await h.app.request(`${ORIGIN}${path}`, { method: "POST", headers, ...(body !== undefined ? { body } : {}) }, { incoming: { socket: { remoteAddress: "192.0.2.1" } } });
        expect(res.status, `${path} with ${name}`).toBeLessThan(500);
        expect([200, 303, 400, 401, 404, 409, 413, 429], `${path} with ${name}: ${res.status}`).toContain(res.status);
        if (path === "/alerts/1/ack") expect((h.db.prepare("SELECT state FROM alerts").get() as { state: string }).state, name).toBe("firing");
      }
    }
    expect((h.db.prepare("SELECT state FROM alerts").get() as { state: string }).state).toBe("firing");
    expect(JSON.stringify(h.db.prepare("SELECT * FROM users").all())).toBe(usersBefore);
  });

  it("query strings and paths are validated too", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    for (const path of [
      "/audit?from=2026-13-45&to=yesterday",
      "/audit?actor=" + "x".repeat(500),
      "/audit?action=%27%20OR%201%3D1--",
      "/monitors/..%2F..%2Fetc",
      "/monitors/%3Cscript%3E",
      "/login?next=https://evil.example",
      "/login?next=//evil.example",
      "/reauth?next=%5C%5Cevil.example",
      "/settings?sent=%3Cb%3E",
      "/alerts/abc/ack",
    ]) {
      const res = await call(h, path, { cookie });
      expect(res.status, path).toBeLessThan(500);
    }
    const login = await (await call(h, "/login?next=//evil.example")).text();
    expect(login).toContain('name="next" value="/"');
  });
});

describe("logs", () => {
  it("never carry a one-time link token, a password or a session id", async () => {
    const lines: string[] = [];
    const log = { debug() {}, info: (o: object) => lines.push(JSON.stringify(o)), warn: (o: object) => lines.push(JSON.stringify(o)), error: (o: object) => lines.push(JSON.stringify(o)) };
    const h = makeHarness({ log });
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    const token = "Zm9vYmFyYmF6cXV4cXV1eA";
    await call(h, `/enroll/${token}`, { form: { password: "secret password 123", password2: "x", code: "123456" }, bare: true, headers: { Origin: "https://evil.example" } });
    await call(h, "/login", { form: { username: "alice", password: "secret password 123", code: "123456" } });
    await call(h, "/logout", { cookie, form: {}, bare: true, headers: { Origin: "https://evil.example" } });
    h.db.close();
    await call(h, `/enroll/${token}`, { cookie });
    const all = lines.join("\n");
    expect(all).toContain("/enroll/[token]");
    expect(all).not.toContain(token);
    expect(all).not.toContain("secret password 123");
    expect(all).not.toContain(cookie);
  });
});

describe("door webhook mount", () => {
  it("passes signed machine posts under /api/doors/ to the sub-app without session or Origin; 404 until mounted", async () => {
    const { buildConsole } = await import("../../src/web/app.js");
    const h = makeHarness();
    const consoleApp = buildConsole(h.deps);
    const post = () => consoleApp.app.request(`${ORIGIN}/api/doors/lobby/events`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect((await post()).status).toBe(404);
    const seen: string[] = [];
    consoleApp.mountDoorWebhook({ fetch: (req) => (seen.push(new URL(req.url).pathname), new Response("accepted", { status: 202 })) });
    const res = await post();
    expect(res.status).toBe(202);
    expect(seen).toEqual(["/api/doors/lobby/events"]);
    expectHeaders(res);
    // Only that prefix skips the CSRF check.
    expect((await consoleApp.app.request(`${ORIGIN}/api/doorsX`, { method: "POST", body: "" })).status).toBe(403);
  });
});

describe("the audit filter (issue 18 item 7)", () => {
  it("refuses days that are not on the calendar, and an invalid filter shows no rows (page and CSV)", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, u);
    for (const q of ["from=2026-02-30", "to=2026-04-31", "from=2025-02-29", "from=2026-13-01", "actor=" + "x".repeat(65)]) {
      const page = await call(h, `/audit?${q}`, { cookie });
      expect(page.status, q).toBe(400);
      expect(await page.text(), q).not.toContain("login.success");
      const csv = await call(h, `/audit.csv?${q}`, { cookie });
      expect(csv.status, q).toBe(400);
      expect(await csv.text(), q).not.toContain("login.success");
    }
    const ok = await call(h, "/audit?from=2024-02-29", { cookie });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("login.success");
  });
});
