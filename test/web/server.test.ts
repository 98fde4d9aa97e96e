/** The console server as the daemon starts it: TLS by default, listen rules, setup link; and the CLI commands. */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { openStore } from "../../src/agent/store/db.js";
import { defaultDataDir } from "../../src/commands/config.js";
import { main } from "../../src/commands/index.js";
import { countUsers, createSession, insertUser } from "../../src/web/auth/store.js";
import { SESSION_COOKIE } from "../../src/web/session.js";
import { checkConsoleListen, startConsole, type ConsoleServer } from "../../src/web/server.js";

const cfg = (dir: string, consoleYaml: string) => parseConfigText(`site: T\ntimezone: UTC\ndata_dir: ${dir}\nconsole: ${consoleYaml}\n`, join(dir, "gatehouse.yaml"));

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; cert: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, rejectUnauthorized: false }, (res) => {
      const cert = String((res.socket as import("node:tls").TLSSocket).getPeerCertificate().subject?.CN ?? "");
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, cert }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("listen rules", () => {
  it("refuses plain HTTP on a non-loopback address with a clear error, allows it on loopback, allows TLS anywhere", () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-web-"));
    // The config parser refuses it first (one validation path for check and serve) …
    expect(() => cfg(dir, '{ listen: "0.0.0.0:8443", tls: off }')).toThrow(/console\.tls.*off is allowed only with console\.listen on a loopback address/);
    // … and the server still refuses a config built any other way.
    const tlsOff = cfg(dir, '{ listen: "127.0.0.1:8080", tls: off }');
    const exposed = (host: string) => ({ ...tlsOff, console: { ...tlsOff.console, listen: { host, port: 8443 } } });
    expect(() => checkConsoleListen(exposed("0.0.0.0"))).toThrow(/tls is off but console.listen is 0\.0\.0\.0:8443.*only serves plain HTTP on a loopback address/);
    expect(() => checkConsoleListen(exposed("192.168.1.5"))).toThrow(/loopback/);
    expect(() => checkConsoleListen(cfg(dir, '{ listen: "127.0.0.1:8080", tls: off }'))).not.toThrow();
    expect(() => checkConsoleListen(cfg(dir, '{ listen: "0.0.0.0:8443", tls: auto }'))).not.toThrow();
  });
});

describe("console server over HTTPS", () => {
  let server: ConsoleServer | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.server.close(() => r()) : r()));
    server = undefined;
  });

  it("makes a self-signed certificate (key 0600) and the sealing key on first start, serves HTTPS with HSTS, and hands out the setup link without logging it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-web-"));
    const base = cfg(dir, '{ listen: "127.0.0.1:8443", tls: auto }');
    const config = { ...base, console: { ...base.console, listen: { host: "127.0.0.1", port: 0 } } }; // any free port
    const db = openStore(dir);
    const logged: string[] = [];
    const log = { debug() {}, info: (o: unknown, m?: string) => logged.push(JSON.stringify([o, m])), warn: (o: unknown, m?: string) => logged.push(JSON.stringify([o, m])), error() {} };
    server = await startConsole(config, { db, log, version: "t", routes: [], onEnqueued() {} });
    expect(statSync(join(dir, "tls", "console.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "console.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "setup-link.txt")).mode & 0o777).toBe(0o600);
    const link = /https:\/\/\S+\/enroll\/([A-Za-z0-9_-]{22})/.exec(readFileSync(join(dir, "setup-link.txt"), "utf8"))!;
    expect(link).not.toBeNull();
    expect(logged.join("\n")).not.toContain(link[1]);
    expect(logged.join("\n")).toContain("setup-link.txt");
    const res = await get(server.port, `/enroll/${link[1]}`);
    expect(res.status).toBe(200);
    expect(res.cert).toBe("Gatehouse console");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=/);
    expect(res.body).toContain("Create the first administrator");
    // A second start reuses the certificate and does not issue another link while one is valid.
    await new Promise<void>((r) => server!.server.close(() => r()));
    const certBefore = readFileSync(join(dir, "tls", "console.crt"), "utf8");
    server = await startConsole(config, { db, log, version: "t", routes: [], onEnqueued() {} });
    expect(readFileSync(join(dir, "tls", "console.crt"), "utf8")).toBe(certBefore);
    expect(db.prepare("SELECT count(*) AS n FROM enrollments").get()).toEqual({ n: 1 });
    expect(countUsers(db)).toBe(0);
    db.close();
  });
});

describe("console server stopping", () => {
  it("writes the sessions' last activity when it stops (it is written behind while it runs)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-web-"));
    const base = cfg(dir, '{ listen: "127.0.0.1:8443", tls: auto }');
    const config = { ...base, console: { ...base.console, listen: { host: "127.0.0.1", port: 0 } } };
    const db = openStore(dir);
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const server = await startConsole(config, { db, log, version: "t", routes: [], onEnqueued() {} });
    const signedIn = Date.now() - 60_000;
    const userId = insertUser(db, { username: "ada", role: "admin", passwordHash: "h", totpSecretSealed: "s", totpLastStep: 0, createdBy: "test", now: signedIn });
    const cookie = createSession(db, userId, signedIn, "127.0.0.1", false);
    const lastSeen = () => (db.prepare("SELECT last_seen_at AS t FROM sessions").get() as { t: number }).t;
    const res = await get(server.port, "/alerts", { Cookie: `${SESSION_COOKIE}=${cookie}` });
    expect(res.status).toBe(200);
    expect(lastSeen()).toBe(signedIn);
    await new Promise<void>((r) => server.server.close(() => r()));
    expect(lastSeen()).toBeGreaterThan(signedIn);
    db.close();
  });
});

describe("CLI: user add, audit verify, init", () => {
  it("user add prints a one-time link and audits; audit verify detects tampering (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-cli-"));
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, `site: T\ntimezone: UTC\ndata_dir: ${dir}/data\nconsole: { listen: "127.0.0.1:8443", tls: auto }\n`);
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(`ERR ${t}`) };
    expect(await main(["user", "add", "Bob", "--role", "manager", "--config", file], io), out.join("\n")).toBe(0);
    expect(out.join("\n")).toMatch(/user bob \(manager\).*\n\s+https:\/\/127\.0\.0\.1:8443\/enroll\/[A-Za-z0-9_-]{22}/);
    expect(await main(["user", "add", "bob", "--role", "manager", "--config", file], io)).toBe(1);
    expect(await main(["user", "add", "x", "--role", "root", "--config", file], io)).toBe(3);
    expect(await main(["user", "add", "<b>", "--role", "viewer", "--config", file], io)).toBe(3);
    out.length = 0;
    expect(await main(["audit", "verify", "--config", file], io)).toBe(0);
    expect(out.join()).toContain("audit log intact: 1 entries");
    const db = openStore(join(dir, "data"));
    db.exec("DROP TRIGGER audit_no_update");
    db.prepare("UPDATE audit SET actor = 'os:mallory'").run();
    db.close();
    out.length = 0;
    expect(await main(["audit", "verify", "--config", file], io)).toBe(2);
    expect(out.join()).toContain("AUDIT LOG BROKEN at entry 1");
  });

  it("init prints the first-admin setup link", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-init-"));
    const out: string[] = [];
    const code = await main(["init", "--config", join(dir, "g.yaml"), "--data-dir", join(dir, "data")], { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toMatch(/create the first console administrator.*\n\s+https:\/\/\S+\/enroll\/[A-Za-z0-9_-]{22}/);
  });

  it("init without --data-dir keeps the data beside a config outside /etc (never /var/lib behind the user's back)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-init-"));
    const out: string[] = [];
    const code = await main(["init", "--config", join(dir, "g.yaml")], { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toContain(`data dir ${join(dir, "data")}`);
    expect(existsSync(join(dir, "data", "gatehouse.db"))).toBe(true);
    expect(defaultDataDir("/etc/gatehouse/gatehouse.yaml")).toBe("/var/lib/gatehouse");
  });
});
