/**
 * The full route × role matrix, walked from the route declarations themselves so a new route
 * cannot be left out: anonymous visitors are sent to sign in, lower roles get 403 (audited),
 * sufficient roles get through the guard.
 */
import { describe, expect, it } from "vitest";
import type { RouteSpec } from "../../src/web/routes/table.js";
import { addUser, call, makeHarness, signIn, type Harness, type TestUser } from "./harness.js";

const ROLES = ["viewer", "manager", "admin"] as const;
const RANK = { public: 0, viewer: 1, manager: 2, admin: 3 } as const;

/** The expected least role of every route: the test's own copy of the policy, so a loosened declaration fails here. */
const POLICY: Record<string, keyof typeof RANK> = {
  "GET /login": "public",
  "POST /login": "public",
  "POST /logout": "viewer",
  "GET /enroll/:token": "public",
  "GET /enroll/:token/qr.svg": "public",
  "POST /enroll/:token": "public",
  "GET /reauth": "viewer",
  "POST /reauth": "viewer",
  "GET /account": "viewer",
  "POST /account/password": "viewer",
  "POST /account/recovery-codes": "viewer",
  "GET /": "viewer",
  "GET /monitors": "viewer",
  "GET /monitors/:id": "viewer",
  "POST /monitors/:id/baseline": "admin",
  "GET /alerts": "viewer",
  "POST /alerts/:id/ack": "manager",
  "POST /silences": "admin",
  "POST /silences/:id/end": "admin",
  "GET /compliance": "viewer",
  "GET /compliance/reports": "viewer",
  "POST /compliance/reports": "manager",
  "POST /compliance/reports/verify": "viewer",
  "GET /compliance/reports/:name": "viewer",
  "GET /compliance/:register": "viewer",
  "GET /compliance/:register/export.csv": "viewer",
  "POST /compliance/:register/import": "manager",
  "POST /compliance/:register": "manager",
  "GET /compliance/:register/:id": "viewer",
  "POST /compliance/:register/:id": "manager",
  "POST /compliance/:register/:id/close": "manager",
  "POST /compliance/:register/:id/delete": "manager",
  "GET /doors": "viewer",
  "POST /doors/onsite": "manager",
  "GET /computers": "viewer",
  "GET /computers/osquery.flags": "viewer",
  "GET /computers/gatehouse.pem": "viewer",
  "POST /computers/:id/forget": "admin",
  "GET /users": "admin",
  "POST /users": "admin",
  "POST /users/:id/role": "admin",
  "POST /users/:id/disable": "admin",
  "POST /users/:id/enable": "admin",
  "POST /users/:id/reset": "admin",
  "GET /audit": "admin",
  "GET /audit.csv": "admin",
  "GET /settings": "admin",
  "POST /settings/test-notification": "admin",
};

const concrete = (spec: RouteSpec) =>
  spec.path
    .replace(":id", spec.path.startsWith("/monitors") ? "firewall" : "999")
    .replace(":token", "AAAAAAAAAAAAAAAAAAAAAA")
    .replace(":register", "baa")
    .replace(":name", "evidence-none.html");

async function hit(h: Harness, spec: RouteSpec, cookie?: string): Promise<Response> {
  return spec.method === "GET" ? call(h, concrete(spec), { cookie }) : call(h, concrete(spec), { cookie, form: {} });
}

describe("route × role matrix", () => {
  it("declares exactly the routes the policy lists, with the same least role", () => {
    const h = makeHarness();
    const declared = Object.fromEntries(h.routes.map((r) => [`${r.method} ${r.path}`, r.access]));
    expect(declared).toEqual(POLICY);
  });

  it("anonymous: public routes open, everything else sends to sign-in (GET 303, POST 401)", async () => {
    const h = makeHarness();
    for (const spec of h.routes) {
      const res = await hit(h, spec);
      const name = `${spec.method} ${spec.path}`;
      if (spec.access === "public") expect(res.status, name).not.toBe(403);
      else if (spec.method === "GET") {
        expect(res.status, name).toBe(303);
        expect(res.headers.get("Location"), name).toMatch(/^\/login/);
      } else expect(res.status, name).toBe(401);
    }
  });

  for (const role of ROLES) {
    it(`${role}: allowed where the role suffices, refused and audited elsewhere`, async () => {
      const h = makeHarness();
      const user: TestUser = await addUser(h, `u-${role}`, role);
      // A second admin so that role/disable routes never hit the last-admin guard by accident.
      await addUser(h, "other-admin", "admin");
      for (const spec of h.routes) {
        h.clock.advance(60_000); // refusals are recorded at most once a minute per user (test/web/review.test.ts)
        const cookie = await signIn(h, user); // fresh session: /logout and re-auth windows never leak between routes
        const before = (h.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'access.denied'").get() as { n: number }).n;
        const res = await hit(h, spec, cookie);
        const name = `${role} ${spec.method} ${spec.path} → ${res.status}`;
        const after = (h.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'access.denied'").get() as { n: number }).n;
        expect(res.status, name).toBeLessThan(500);
        if (RANK[role] >= RANK[spec.access]) {
          expect(res.status, name).not.toBe(403);
          expect(res.status, name).not.toBe(401);
          expect(after, name).toBe(before);
        } else {
          expect(res.status, name).toBe(403);
          expect(after, name).toBe(before + 1);
          const row = h.db.prepare("SELECT actor, target, detail_json FROM audit WHERE action = 'access.denied' ORDER BY id DESC LIMIT 1").get() as { actor: string; target: string; detail_json: string };
          expect(row.actor).toBe(`user:u-${role}`);
          expect(row.target).toBe(`${spec.method} ${concrete(spec)}`);
          expect(JSON.parse(row.detail_json)).toEqual({ role, required: spec.access });
        }
      }
    });
  }

  it("a viewer sees no admin or manager controls in the pages", async () => {
    const h = makeHarness();
    const v = await addUser(h, "vic", "viewer");
    const cookie = await signIn(h, v);
    h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k', 'firewall', 'firewall.x', 'critical', 'firing', 'm', 1)").run();
    const alerts = await (await call(h, "/alerts", { cookie })).text();
    expect(alerts).not.toContain("/ack");
    expect(alerts).not.toContain('action="/silences"');
    const nav = await (await call(h, "/", { cookie })).text();
    expect(nav).not.toContain('href="/users"');
    expect(nav).not.toContain('href="/audit"');
  });

  it("user changes need a fresh re-authentication (5 minutes)", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    h.clock.advance(5 * 60_000 + 1);
    expect((await call(h, "/alerts", { cookie })).status).toBe(200);
    const res = await call(h, "/users", { cookie, form: { username: "bob", role: "viewer" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/reauth?next=%2Fusers");
    const { totpCode } = await import("../../src/web/auth/totp.js");
    h.clock.advance(30_000);
    const re = await call(h, "/reauth", { cookie, form: { password: a.password, code: totpCode(a.secret, h.clock.now()), next: "/users" } });
    expect(re.status).toBe(303);
    expect(re.headers.get("Location")).toBe("/users");
    const ok = await call(h, "/users", { cookie, form: { username: "bob", role: "viewer" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/https:\/\/gh\.test\/enroll\/[A-Za-z0-9_-]{22}/);
  });

  it("disabling a user ends their sessions at once; role changes apply on the next request", async () => {
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const m = await addUser(h, "mia", "manager");
    const ac = await signIn(h, a);
    const mc = await signIn(h, m);
    expect((await call(h, "/doors", { cookie: mc })).status).toBe(200);
    expect((await call(h, `/users/${m.id}/role`, { cookie: ac, form: { role: "viewer" } })).status).toBe(303);
    expect((await call(h, "/doors/onsite", { cookie: mc, form: { until: "23:00", reason: "x" } })).status).toBe(403);
    expect((await call(h, `/users/${m.id}/disable`, { cookie: ac, form: {} })).status).toBe(303);
    expect((await call(h, "/doors", { cookie: mc })).status).toBe(303);
    expect(h.db.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").get(m.id)).toEqual({ n: 0 });
    // The last admin can neither be disabled nor demoted.
    expect((await call(h, `/users/${a.id}/disable`, { cookie: ac, form: {} })).status).toBe(409);
    expect((await call(h, `/users/${a.id}/role`, { cookie: ac, form: { role: "viewer" } })).status).toBe(409);
    const rows = h.db.prepare("SELECT action, detail_json FROM audit WHERE action LIKE 'user.%'").all() as { action: string; detail_json: string }[];
    expect(rows.map((r) => r.action)).toEqual(["user.role_change", "user.disable"]);
    expect(JSON.parse(rows[0]!.detail_json)).toEqual({ before: { role: "manager" }, after: { role: "viewer" } });
  });
});
