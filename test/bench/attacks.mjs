// The attacks of issue 18, replayed against a compiled Gatehouse (GH_BENCH_DIST, default dist/):
// before/after figures for the hardening note. In process through app.request() with a fake
// clock (no TLS, no sockets), so the figures are the server's own work.
//   node test/bench/attacks.mjs                       # this build
//   GH_BENCH_DIST=/tmp/gh-before/dist node test/bench/attacks.mjs   # an older build
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { dist, importDist } from "./lib.mjs";

const AUDIT_ROWS = Number(process.env.GH_ATTACK_AUDIT_ROWS ?? 200_000);
const { openStore } = await importDist("agent/store/db.js");
const { appendAudit } = await importDist("agent/audit.js");
const { buildConsole } = await importDist("web/app.js");
const { parseConfigText } = await importDist("agent/config/load.js");
const { hashPassword } = await importDist("web/auth/passwords.js");
const { insertUser, newRecoveryCodes } = await importDist("web/auth/store.js");
const { seal } = await importDist("web/auth/tokens.js");
const { newTotpSecret, totpCode } = await importDist("web/auth/totp.js");

const ORIGIN = "https://gh.test";
const dir = mkdtempSync(join(tmpdir(), "gh-attacks-"));
let t = Date.UTC(2026, 11, 1, 12);
const clock = () => t;
const key = randomBytes(32);

function makeConsole(db) {
  const config = parseConfigText(`site: T\ntimezone: UTC\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8443", tls: auto }\n`, join(dir, "gatehouse.yaml"));
  return buildConsole({ db, config, startedAt: t, version: "bench", consoleKey: key, https: true, now: clock }).app;
}

async function addUser(db, username, role, password = `a long passphrase number ${username.length} 42`) {
  const secret = newTotpSecret();
  const id = insertUser(db, { username, role, passwordHash: await hashPassword(password), totpSecretSealed: seal(key, secret), totpLastStep: 0, createdBy: "bench", now: t });
  return { id, username, password, secret, recovery: newRecoveryCodes(db, id) };
}

function call(app, path, r = {}) {
  const method = r.method ?? (r.form ? "POST" : "GET");
  const headers = new Headers({ "Sec-Fetch-Site": "same-origin" });
  if (method !== "GET") headers.set("Origin", ORIGIN);
  if (r.cookie) headers.set("Cookie", `__Host-gh_session=${r.cookie}`);
  let body;
  if (r.form) {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(r.form).toString();
  }
  const env = { incoming: { socket: { remoteAddress: r.address ?? "192.0.2.10", remotePort: 50000, remoteFamily: "IPv4" } } };
  return app.request(`${ORIGIN}${path}`, { method, headers, body }, env);
}

async function signIn(app, u, address) {
  t += 30_000;
  const res = await call(app, "/login", { address, form: { username: u.username, password: u.password, code: totpCode(u.secret, t) } });
  const m = /__Host-gh_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "");
  if (res.status !== 303 || !m) throw new Error(`sign-in failed: ${res.status}`);
  return m[1];
}

const timed = async (f) => {
  const t0 = performance.now();
  const r = await f();
  return { ms: performance.now() - t0, r };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
const rows = [];
const row = (attack, figure, value) => rows.push(`| ${attack} | ${figure} | ${value} |`);

// 1. A viewer floods refused requests into an audit log of AUDIT_ROWS rows.
{
  const db = openStore(join(dir, "flood"));
  db.transaction(() => {
    for (let i = 0; i < AUDIT_ROWS; i++) appendAudit(db, { at: t - AUDIT_ROWS + i, actor: "os:seed", action: "seed.row", detail: { i } });
  })();
  const app = makeConsole(db);
  const admin = await addUser(db, "alice", "admin");
  const viewer = await addUser(db, "vera", "viewer");
  const ac = await signIn(app, admin);
  const vc = await signIn(app, viewer);
  await call(app, "/", { cookie: ac }); // first overview (starts verification where it runs in the background)
  await new Promise((r) => setTimeout(r, 15_000)); // let a background walk finish, if any
  const count = () => db.prepare("SELECT count(*) AS n FROM audit").get().n;
  const before = count();
  const long = "x".repeat(15_000);
  for (let i = 0; i < 1_000; i++) await call(app, `/alerts/${long}${i}/ack`, { cookie: vc, form: {} });
  const added = count() - before;
  const bytes = db.prepare("SELECT sum(length(target) + length(detail_json)) AS b FROM audit WHERE id > ?").get(before).b ?? 0;
  row("viewer flood", "audit rows added by 1,000 refused requests (15 KB paths)", `${added} (${(bytes / 1024).toFixed(1)} KiB)`);
  // Over a real socket: a /healthz that arrives while the overview runs waits for the event loop.
  const { serve } = await import(new URL("../../node_modules/@hono/node-server/dist/index.mjs", import.meta.url).href);
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ s, port: info.port }));
  });
  const base = `http://127.0.0.1:${server.port}`;
  const { get: httpGet } = await import("node:http");
  // A new connection per request (no keep-alive): a blocked server must not reset a reused one.
  const get = (path, cookie) =>
    new Promise((resolve, reject) => {
      const req = httpGet(`${base}${path}`, { agent: false, headers: cookie ? { Cookie: `__Host-gh_session=${cookie}`, "Sec-Fetch-Site": "same-origin" } : {} }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      });
      req.on("error", reject);
    });
  const overview = [];
  const health = [];
  for (let i = 0; i < 10; i++) {
    await get("/audit", vc); // the flood goes on between polls
    t += 1_000;
    const o = timed(() => get("/", ac));
    await new Promise((r) => setTimeout(r, 5));
    const h = timed(() => get("/healthz"));
    overview.push((await o).ms);
    health.push((await h).ms);
  }
  server.s.close();
  row("viewer flood", `overview with ${AUDIT_ROWS.toLocaleString("en")} audit rows, median / max of 10 polls during the flood (HTTP)`, `${fmt(median(overview))} / ${fmt(Math.max(...overview))}`);
  row("viewer flood", "/healthz sent 5 ms after each poll, median / max (HTTP)", `${fmt(median(health))} / ${fmt(Math.max(...health))}`);
  db.close();
}

// 2. Someone who knows a user name keeps failing from one address; the owner tries from another.
{
  const db = openStore(join(dir, "lockout"));
  const app = makeConsole(db);
  const u = await addUser(db, "alice", "viewer");
  for (let i = 0; i < 10; i++) {
    await call(app, "/login", { address: "203.0.113.66", form: { username: "alice", password: `guess number ${i}`, code: "123456" } });
    t += 500;
  }
  const owner = await call(app, "/login", { address: "198.51.100.7", form: { username: "alice", password: u.password, code: totpCode(u.secret, t) } });
  row("name lockout", "owner (right password + TOTP, clean address) after 10 failures from the attacker's address", `HTTP ${owner.status}${owner.headers.get("retry-after") ? ` (Retry-After ${owner.headers.get("retry-after")} s)` : ""}`);
  t += 30_000;
  const rec = await call(app, "/login", { address: "198.51.100.8", form: { username: "alice", password: u.password, code: u.recovery[0] } });
  row("name lockout", "owner with a recovery code from a third address", `HTTP ${rec.status}`);
  db.close();
}

// 3. 200 parallel logins with distinct names from distinct addresses (127.0.1.x: all of 127/8 is
//    local), then a real login 50 ms later from another, over real sockets as in the review.
{
  const db = openStore(join(dir, "argon"));
  const app = makeConsole(db);
  const u = await addUser(db, "alice", "viewer");
  const { serve } = await import(new URL("../../node_modules/@hono/node-server/dist/index.mjs", import.meta.url).href);
  const { request } = await import("node:http");
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ s, port: info.port }));
  });
  const post = (from, form) =>
    new Promise((resolve, reject) => {
      const body = new URLSearchParams(form).toString();
      const req = request(
        { host: "127.0.0.1", port: server.port, localAddress: from, path: "/login", method: "POST", agent: false, headers: { Origin: ORIGIN.replace("https://gh.test", `http://127.0.0.1:${server.port}`), "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode, retryAfter: Number(res.headers["retry-after"] ?? 0) }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  await post("127.0.0.9", { username: "warm-up", password: "wrong password x", code: "1" });
  t += 30_000;
  const start = performance.now();
  const burst = Array.from({ length: 200 }, (_, i) => post(`127.0.1.${i + 1}`, { username: `name${i}`, password: "wrong password x", code: "123456" }));
  await new Promise((r) => setTimeout(r, 50));
  const first = await timed(() => post("127.0.0.200", { username: "alice", password: u.password, code: totpCode(u.secret, t) }));
  let how = `HTTP ${first.r.status} after ${fmt(first.ms)}`;
  let signedIn = first.r.status === 303 ? performance.now() - start - 50 : undefined;
  if (first.r.status === 503) {
    await new Promise((r) => setTimeout(r, first.r.retryAfter * 1000));
    t += 30_000;
    const again = await timed(() => post("127.0.0.200", { username: "alice", password: u.password, code: totpCode(u.secret, t) }));
    how += `, Retry-After ${first.r.retryAfter} s, then HTTP ${again.r.status} in ${fmt(again.ms)}`;
    if (again.r.status === 303) signedIn = performance.now() - start - 50;
  }
  const statuses = (await Promise.all(burst)).map((r) => r.status);
  const counts = Object.entries(statuses.reduce((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {})).map(([x, n]) => `${n}× ${x}`).join(", ");
  server.s.close();
  row("argon2 burst", "200 parallel logins, distinct names and addresses (HTTP), answered", counts);
  row("argon2 burst", "a real login sent 50 ms later", how);
  row("argon2 burst", "real user signed in after", signedIn === undefined ? "not signed in" : fmt(signedIn));
  db.close();
}

// 4. A stolen session within 5 minutes of a sign-in changes the password without knowing it.
{
  const db = openStore(join(dir, "pwchange"));
  const app = makeConsole(db);
  const u = await addUser(db, "alice", "viewer");
  const cookie = await signIn(app, u);
  const res = await call(app, "/account/password", { cookie, form: { password: "taken over for good 1", password2: "taken over for good 1" } });
  const same = await call(app, "/account/password", { cookie, form: { current: u.password, password: u.password, password2: u.password } });
  row("session takeover", "password change without the current password", `HTTP ${res.status}`);
  row("session takeover", "password change to the same password", `HTTP ${same.status}`);
  db.close();
}

rmSync(dir, { recursive: true, force: true });
console.log(`build: ${dist}\n\n| attack | figure | result |\n|---|---|---|\n${rows.join("\n")}`);
process.exit(0);
