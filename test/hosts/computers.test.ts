/**
 * The computers page and the enrolment files through the console; and the whole osquery
 * exchange over a real HTTPS listener on loopback, the client trusting only the console's
 * certificate (what --tls_server_certs pins).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { hostFindings } from "../../src/agent/store/hosts.js";
import { openStore } from "../../src/agent/store/db.js";
import { startConsole, type ConsoleServer } from "../../src/web/server.js";
import { YAML, addUser, call, makeHarness, signIn } from "../web/harness.js";
import { appTransport, ENDPOINTS, httpsTransport, OsqueryClient } from "./osquery-client.js";

const SECRET = "office-enroll-secret-9f4c2a7e1b";

function secretFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "gh-osq-"));
  const f = join(dir, "enroll.secret");
  writeFileSync(f, SECRET, { mode: 0o600 });
  return f;
}

describe("computers page", () => {
  it("lists enrolled computers with their checks rolled up, escapes what hosts report, and offers the flags files", async () => {
    const file = secretFile();
    const yaml = YAML.replace('console: { listen: "127.0.0.1:8443", tls: auto }', 'console: { listen: "127.0.0.1:8443", tls: auto, public_url: "https://gatehouse.office.lan:8443/" }');
    const h = makeHarness({}, `${yaml}hosts:\n  enroll_secret_file: ${file}\n  allowed_admins: [itadmin]\n`);
    h.clock.t = Date.UTC(2026, 11, 1, 10);
    const client = new OsqueryClient(appTransport(h.app), SECRET);
    await client.enroll();
    await client.distributedRound();
    // A hostile computer name, as a host could report one.
    h.db.prepare("UPDATE osquery_hosts SET hostname = ?").run(`<script>alert("pc")</script>FRONT`);

    const u = await addUser(h, "val", "viewer");
    const cookie = await signIn(h, u);
    const res = await call(h, "/computers", { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert(&quot;pc&quot;)&lt;/script&gt;FRONT");
    expect(html).toContain("Anti-virus: 1 of 1 computer green");
    expect(html).toContain("Disk encryption: 0 of 1 computer green, 1 failing");
    expect(html).toContain("Local administrators: 0 of 1 computer green, 1 warning");
    expect(html).toContain("BitLocker protection is off on C:");
    expect(html).toContain("--tls_hostname=gatehouse.office.lan:8443");
    expect(html).toContain(file); // where to copy the secret from…
    expect(html).not.toContain(SECRET); // …never the secret itself
    expect(html).toContain('href="/computers"');

    const frag = await call(h, "/computers", { cookie, headers: { "HX-Request": "true" } });
    expect(await frag.text()).toMatch(/^<div id="computers-live"/);

    const flags = await call(h, "/computers/osquery.flags?platform=windows", { cookie });
    expect(flags.headers.get("Content-Disposition")).toBe('attachment; filename="osquery.flags"');
    const text = await flags.text();
    expect(text.split("\n").filter((l) => l.startsWith("--"))).toEqual([
      "--tls_hostname=gatehouse.office.lan:8443",
      "--tls_server_certs=C:\\Program Files\\osquery\\gatehouse.pem",
      "--enroll_secret_path=C:\\Program Files\\osquery\\gatehouse.secret",
      "--host_identifier=uuid",
      "--enroll_tls_endpoint=/osquery/enroll",
      "--config_plugin=tls",
      "--config_tls_endpoint=/osquery/config",
      "--config_tls_refresh=3600",
      "--logger_plugin=tls",
      "--logger_tls_endpoint=/osquery/log",
      "--logger_tls_period=10",
      "--disable_distributed=false",
      "--distributed_plugin=tls",
      "--distributed_interval=60",
      "--distributed_tls_read_endpoint=/osquery/distributed/read",
      "--distributed_tls_write_endpoint=/osquery/distributed/write",
    ]);
    expect((await call(h, "/computers/osquery.flags?platform=beos", { cookie })).status).toBe(404);
    // This harness has no certificate on disk: a clear 404, not a crash.
    const noCert = await call(h, "/computers/gatehouse.pem", { cookie });
    expect([noCert.status, await noCert.text()]).toEqual([404, "The console certificate cannot be read (TLS off, or the file is missing)."]);
    // Signed out: to the login, like every console page.
    expect((await call(h, "/computers")).status).toBe(303);
    expect((await call(h, "/computers/osquery.flags?platform=linux")).status).toBe(303);
  });

  it("lets an admin forget a computer: alerts resolved, node key dead, audited; others may not", async () => {
    const file = secretFile();
    const h = makeHarness({ routes: [{ channel: "email", minSeverity: "warning" }] }, `${YAML}hosts:\n  enroll_secret_file: ${file}\n`);
    h.clock.t = Date.UTC(2026, 11, 1, 10);
    const client = new OsqueryClient(appTransport(h.app), SECRET);
    await client.enroll();
    await client.distributedRound();
    expect(h.db.prepare("SELECT count(*) AS n FROM alerts WHERE state = 'firing'").get()).toEqual({ n: 2 });

    const viewer = await signIn(h, await addUser(h, "val", "viewer"));
    expect((await call(h, "/computers", { cookie: viewer }).then((r) => r.text())).includes("/computers/1/forget")).toBe(false);
    expect((await call(h, "/computers/1/forget", { cookie: viewer, method: "POST" })).status).toBe(403);
    const admin = await signIn(h, await addUser(h, "ada", "admin"));
    expect(await (await call(h, "/computers", { cookie: admin })).text()).toContain('action="/computers/1/forget"');
    expect((await call(h, "/computers/99/forget", { cookie: admin, method: "POST" })).status).toBe(404);
    expect((await call(h, "/computers/x/forget", { cookie: admin, method: "POST" })).status).toBe(404);
    // A cross-site post is refused by the console's CSRF check.
    expect((await call(h, "/computers/1/forget", { cookie: admin, method: "POST", headers: { Origin: "https://evil.example" } })).status).toBe(403);

    const res = await call(h, "/computers/1/forget", { cookie: admin, method: "POST" });
    expect([res.status, res.headers.get("Location")]).toEqual([303, "/computers?forgotten=1"]);
    expect(h.db.prepare("SELECT count(*) AS n FROM osquery_hosts").get()).toEqual({ n: 0 });
    expect(h.db.prepare("SELECT count(*) AS n FROM osquery_results").get()).toEqual({ n: 0 });
    expect(h.db.prepare("SELECT state FROM alerts").all()).toEqual([{ state: "resolved" }, { state: "resolved" }]);
    expect(h.db.prepare("SELECT count(*) AS n FROM finding_state WHERE monitor = 'host:1'").get()).toEqual({ n: 0 });
    expect(h.db.prepare("SELECT actor, action, target FROM audit WHERE action = 'host.forget'").all()).toEqual([{ actor: "user:ada", action: "host.forget", target: "host:1" }]);
    const stale = await appTransport(h.app)(ENDPOINTS.config, JSON.stringify({ node_key: client.nodeKey }), client.headers);
    expect(stale.json).toEqual({ node_invalid: true });
    expect(await (await call(h, "/computers?forgotten=1", { cookie: admin })).text()).toContain("The computer was forgotten");
    // Enrolling again makes a new host: its id (and findings source) is never reused.
    await client.enroll();
    expect(h.db.prepare("SELECT id FROM osquery_hosts").all()).toEqual([{ id: 2 }]);
  });

  it("says how to turn it on when the hosts section is absent", async () => {
    const h = makeHarness();
    const cookie = await signIn(h, await addUser(h, "val", "viewer"));
    const html = await (await call(h, "/computers", { cookie })).text();
    expect(html).toContain("Computers are not watched yet");
    expect((await h.app.request("https://gh.test/osquery/enroll", { method: "POST", body: "{}" })).status).not.toBe(200);
  });
});

describe("over the console's real HTTPS listener", () => {
  let server: ConsoleServer | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.server.close(() => r()) : r()));
    server = undefined;
  });

  it("runs the exchange with the certificate pinned, refuses a client pinned to another certificate, and hands out the served certificate for enrolment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-osq-https-"));
    const base = parseConfigText(`site: T\ntimezone: UTC\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8443", tls: auto }\nhosts:\n  enroll_secret_file: ${secretFile()}\n`, join(dir, "gatehouse.yaml"));
    const config = { ...base, console: { ...base.console, listen: { host: "127.0.0.1", port: 0 } } };
    const db = openStore(dir);
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    server = await startConsole(config, { db, log, version: "t", routes: [{ channel: "email", minSeverity: "warning" }], onEnqueued() {} });
    const pem = readFileSync(join(dir, "tls", "console.crt"), "utf8");

    const client = new OsqueryClient(httpsTransport(server.port, pem), SECRET);
    expect((await client.enroll()).json.node_invalid).toBe(false);
    expect((await client.post(ENDPOINTS.config, "02-config.request.json")).json.schedule).toBeDefined();
    const round = await client.distributedRound();
    expect(round.write?.json).toEqual({ node_invalid: false });
    expect((await client.post(ENDPOINTS.logger, "05-log-result.request.json")).json).toEqual({ node_invalid: false });
    expect(hostFindings(db).map((f) => f.rule)).toContain("hosts.disk_encryption");
    expect(db.prepare("SELECT count(*) AS n FROM outbox").get()).toEqual({ n: 1 });

    // A client pinned to some other certificate refuses the server (what osqueryd does with the wrong pem).
    const otherDir = mkdtempSync(join(tmpdir(), "gh-osq-other-"));
    const { ensureSelfSigned } = await import("../../src/web/tls.js");
    const other = await ensureSelfSigned(otherDir, "127.0.0.1");
    const wrongPin = new OsqueryClient(httpsTransport(server.port, other.cert.toString()), SECRET);
    await expect(wrongPin.enroll()).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);

    // The console hands out exactly the certificate it serves, with its fingerprint on the page.
    const h = makeHarness({}, YAML.replace("data_dir: /nonexistent/gatehouse-test", `data_dir: ${dir}`) + `hosts:\n  enroll_secret_file: ${secretFile()}\n`);
    const cookie = await signIn(h, await addUser(h, "val", "viewer"));
    const served = await call(h, "/computers/gatehouse.pem", { cookie });
    expect(served.headers.get("Content-Type")).toBe("application/x-pem-file");
    expect(await served.text()).toBe(pem);
    const { X509Certificate } = await import("node:crypto");
    const page = await (await call(h, "/computers", { cookie })).text();
    expect(page).toContain(new X509Certificate(pem).fingerprint256);
    expect(page).toContain(`It expires <time datetime="${new Date(new X509Certificate(pem).validTo).toISOString()}"`);
    expect(page).not.toContain("does not name");
    // A public_url the certificate does not cover is called out before anyone installs osquery.
    const lan = makeHarness({}, YAML.replace("data_dir: /nonexistent/gatehouse-test", `data_dir: ${dir}`).replace("tls: auto }", 'tls: auto, public_url: "https://gatehouse.office.lan:8443/" }') + `hosts:\n  enroll_secret_file: ${secretFile()}\n`);
    const lanCookie = await signIn(lan, await addUser(lan, "val", "viewer"));
    expect(await (await call(lan, "/computers", { cookie: lanCookie })).text()).toContain("The console certificate does not name gatehouse.office.lan: osquery will refuse it.");
    db.close();
  });
});
