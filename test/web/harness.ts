/**
 * A console under test: in-memory store (real migrations), a real config parsed from YAML, a fake
 * clock, a real console key, and a tiny browser-like client (cookie jar, same-origin headers).
 */
import { randomBytes } from "node:crypto";
import { parseConfigText } from "../../src/agent/config/load.js";
import { openDatabase, type Db } from "../../src/agent/store/db.js";
import { buildConsole } from "../../src/web/app.js";
import type { WebDeps } from "../../src/web/context.js";
import { hashPassword } from "../../src/web/auth/passwords.js";
import { insertUser, newRecoveryCodes, type Role } from "../../src/web/auth/store.js";
import { seal } from "../../src/web/auth/tokens.js";
import { newTotpSecret, totpCode } from "../../src/web/auth/totp.js";
import { SESSION_COOKIE } from "../../src/web/session.js";

export const ORIGIN = "https://gh.test";
export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

export const YAML = `
site: "Test <b>Site</b>"
timezone: UTC
data_dir: /nonexistent/gatehouse-test
console: { listen: "127.0.0.1:8443", tls: auto }
monitors:
  firewall: { schedule: "*/5 * * * *", backend: auto }
doors:
  sensors:
    - { id: lobby, name: "<script>alert(1)</script>Lobby", input: { webhook: { secret_file: /nonexistent/lobby.key } } }
`;

export class Clock {
  constructor(public t = T0) {}
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestUser {
  id: number;
  username: string;
  role: Role;
  password: string;
  secret: string;
  recovery: string[];
}

export interface Harness {
  db: Db;
  clock: Clock;
  key: Buffer;
  app: ReturnType<typeof buildConsole>["app"];
  routes: ReturnType<typeof buildConsole>["routes"];
  deps: WebDeps;
}

let pwHashCache: Map<string, Promise<string>> = new Map();

/** `file`: where the config "came from" (the settings page re-reads it); by default a path that does not exist. */
export function makeHarness(over: Partial<WebDeps> = {}, yaml = YAML, file = "/nonexistent/gatehouse.yaml"): Harness {
  const db = openDatabase(":memory:");
  const clock = new Clock();
  const key = randomBytes(32);
  const config = parseConfigText(yaml, file);
  const deps: WebDeps = { db, config, startedAt: T0, version: "test", consoleKey: key, https: true, now: clock.now, ...over };
  const { app, routes } = buildConsole(deps);
  return { db, clock, key, app, routes, deps };
}

/** Creates a user directly in the store (as enrollment would). Password hashes are cached per password. */
export async function addUser(h: Harness, username: string, role: Role, password = `pw-${username}-Correct-Horse-42`): Promise<TestUser> {
  const secret = newTotpSecret();
  let hash = pwHashCache.get(password);
  if (!hash) pwHashCache.set(password, (hash = hashPassword(password)));
  const id = insertUser(h.db, { username, role, passwordHash: await hash, totpSecretSealed: seal(h.key, secret), totpLastStep: 0, createdBy: "test", now: h.clock.now() });
  const recovery = newRecoveryCodes(h.db, id);
  return { id, username, role, password, secret, recovery };
}

export interface Req {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  cookie?: string | undefined;
  address?: string;
  /** Leave out the same-origin headers a browser would send. */
  bare?: boolean;
  /** A multipart body (file uploads). */
  multipart?: FormData;
}

/** Calls the app like a browser on the console's own origin would. */
export async function call(h: Harness, path: string, r: Req = {}): Promise<Response> {
  const method = r.method ?? (r.form || r.multipart ? "POST" : "GET");
  const headers = new Headers(r.headers);
  if (!r.bare && method !== "GET" && !headers.has("Origin")) headers.set("Origin", ORIGIN);
  if (!r.bare && !headers.has("Sec-Fetch-Site")) headers.set("Sec-Fetch-Site", "same-origin");
  if (r.cookie) headers.set("Cookie", `${SESSION_COOKIE}=${r.cookie}`);
  let body: string | Blob | undefined;
  if (r.form) {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(r.form).toString();
  }
  if (r.multipart) {
    // Encode through Response so the boundary in Content-Type matches the body.
    const enc = new Response(r.multipart);
    headers.set("Content-Type", enc.headers.get("Content-Type")!);
    body = await enc.blob();
  }
  const env = { incoming: { socket: { remoteAddress: r.address ?? "192.0.2.10", remotePort: 50000, remoteFamily: "IPv4" } } };
  return h.app.request(`${ORIGIN}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }, env);
}

/** The session cookie value a response sets, if any. */
export function sessionFrom(res: Response): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
    if (m) return m[1] || undefined;
  }
  return undefined;
}

/** Signs in with a fresh TOTP code (advancing the clock one step so codes never repeat). */
export async function signIn(h: Harness, u: TestUser, address?: string): Promise<string> {
  h.clock.advance(30_000);
  const res = await call(h, "/login", { form: { username: u.username, password: u.password, code: totpCode(u.secret, h.clock.now()) }, ...(address ? { address } : {}) });
  const cookie = sessionFrom(res);
  if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return cookie;
}
