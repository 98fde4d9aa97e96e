/** Findings of the pre-release security review, each pinned by a test that failed before its fix. */
import { describe, expect, it } from "vitest";
import { addUser, call, makeHarness, ORIGIN, signIn } from "./harness.js";

const auditRows = (h: ReturnType<typeof makeHarness>) => h.db.prepare("SELECT * FROM audit ORDER BY id").all() as { actor: string; action: string; detail_json: string }[];

describe("throttling cannot be outrun", () => {
  it("counts attempts still being checked: a burst of parallel bad logins gets no more tries than a sequence", async () => {
    const h = makeHarness();
    await addUser(h, "alice", "viewer");
    // All at the same instant from one address: the attempts racing through the password check see each other.
    const res = await Promise.all(Array.from({ length: 12 }, (_, i) => call(h, "/login", { address: "198.51.100.1", form: { username: "alice", password: `wrong-password-${i}`, code: "123456" } })));
    const statuses = res.map((r) => r.status);
    // Two free failures (as README says); everything after must wait.
    expect(statuses.filter((s) => s === 401).length).toBe(2);
    expect(statuses.filter((s) => s === 429).length).toBe(10);
  });

  it("a successful login still works (and clears the account's failures) after the reservation", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    await signIn(h, u);
    expect((h.db.prepare("SELECT count(*) AS n FROM auth_failures").get() as { n: number }).n).toBe(0);
  });

  it("treats one IPv6 /64 as one address, and an IPv4-mapped IPv6 address as the IPv4 address", async () => {
    const h = makeHarness();
    // 100 failures, each from a different address in one /64 (an attacker owns all 2^64 of them).
    for (let i = 0; i < 100; i++) {
      const res = await call(h, "/login", { address: `2001:db8:1:2::${(i + 1).toString(16)}`, form: { username: `user${i}`, password: "wrong-password-x", code: "123456" } });
      if (res.status === 429) h.clock.advance(Number(res.headers.get("Retry-After")) * 1000);
      h.clock.advance(30_000);
    }
    const same64 = await call(h, "/login", { address: "2001:db8:1:2:ffff:ffff:ffff:fffe", form: { username: "someone-new", password: "wrong-password-x", code: "123456" } });
    expect(same64.status).toBe(429);
    const other64 = await call(h, "/login", { address: "2001:db8:1:3::1", form: { username: "someone-new", password: "wrong-password-x", code: "123456" } });
    expect(other64.status).toBe(401);

    const h4 = makeHarness();
    for (let i = 0; i < 3; i++) await call(h4, "/login", { address: "203.0.113.9", form: { username: `user${i}`, password: "wrong-password-x", code: "123456" } });
    const mapped = await call(h4, "/login", { address: "::ffff:203.0.113.9", form: { username: "user9", password: "wrong-password-x", code: "123456" } });
    expect(mapped.status).toBe(429);
  });
});

describe("the append-only audit log cannot be flooded without cost", () => {
  it("records throttled refusals at most once a minute per throttled account or address (they cost an attacker nothing)", async () => {
    const h = makeHarness();
    const throttledRows = () => (h.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'login.throttled'").get() as { n: number }).n;
    for (let i = 0; i < 3; i++) await call(h, "/login", { form: { username: "alice", password: `wrong-password-${i}`, code: "123456" } });
    for (let i = 0; i < 300; i++) {
      const res = await call(h, "/login", { form: { username: i % 2 ? "alice" : `nobody${i}`, password: "wrong-password-x", code: "123456" } });
      expect(res.status).toBe(429);
    }
    expect(throttledRows()).toBe(1);
    // A minute on (still within the delay of the next failure), the next refusal is recorded again.
    h.clock.advance(1_500);
    await call(h, "/login", { form: { username: "alice", password: "wrong-password-y", code: "123456" } });
    for (let i = 0; i < 10; i++) await call(h, "/login", { form: { username: "alice", password: "wrong-password-z", code: "123456" } });
    h.clock.advance(60_000);
    for (let i = 0; i < 5; i++) await call(h, "/login", { address: "198.51.100.99", form: { username: "alice", password: "wrong-password-z", code: "123456" } });
    expect(throttledRows()).toBeLessThanOrEqual(3);
    expect(throttledRows()).toBeGreaterThanOrEqual(2);
  });
});

describe("a password typed into the user-name field", () => {
  it("reaches neither the audit log nor the throttling table in clear", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    const typo = "Tr0ub4dor&3-horse-staple";
    await call(h, "/login", { form: { username: typo, password: u.password, code: "123456" } });
    const stored = JSON.stringify(auditRows(h)) + JSON.stringify(h.db.prepare("SELECT * FROM auth_failures").all());
    expect(stored).not.toContain(typo.toLowerCase());
    expect(stored.toLowerCase()).not.toContain(typo.toLowerCase());
    // Failures for a real account still name it (who was attacked is worth knowing).
    h.clock.advance(60_000);
    await call(h, "/login", { form: { username: "Alice ", password: "not the password!", code: "123456" } });
    const last = auditRows(h).at(-1)!;
    expect(last).toMatchObject({ actor: "user:alice", action: "login.failure" });
    // The unknown-name failure is still recorded, without the name.
    expect(auditRows(h).some((r) => r.action === "login.failure" && r.detail_json.includes("unknown_user"))).toBe(true);
  });
});

describe("CSRF with a real Origin", () => {
  it("sends Referrer-Policy: same-origin (header and meta) so the browser's own posts carry the real Origin", async () => {
    const h = makeHarness();
    const res = await call(h, "/login");
    expect(res.headers.get("Referrer-Policy")).toBe("same-origin");
    const html = await res.text();
    expect(html).not.toContain('content="no-referrer"');
  });

  it("refuses Origin: null even with Sec-Fetch-Site: same-origin (an opaque origin is never ours)", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "manager");
    const cookie = await signIn(h, u);
    h.db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k', 'firewall', 'firewall.x', 'critical', 'firing', 'm', 1)").run();
    const res = await call(h, "/alerts/1/ack", { cookie, form: { note: "x" }, bare: true, headers: { Origin: "null", "Sec-Fetch-Site": "same-origin" } });
    expect(res.status).toBe(403);
    expect((h.db.prepare("SELECT state FROM alerts").get() as { state: string }).state).toBe("firing");
    // The real origin still works, with and without Fetch Metadata.
    const ok = await call(h, "/alerts/1/ack", { cookie, form: { note: "x" }, bare: true, headers: { Origin: ORIGIN, "Sec-Fetch-Site": "same-origin" } });
    expect(ok.status).toBe(303);
  });
});

describe("audit actors", () => {
  it("an expired session is recorded under user:NAME like every other entry, so the audit filter by who finds it", async () => {
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    const cookie = await signIn(h, u);
    h.clock.advance(16 * 60_000);
    await call(h, "/", { cookie });
    const rows = auditRows(h).filter((r) => r.action === "session.expired");
    expect(rows.map((r) => r.actor)).toEqual(["user:alice"]);
  });
});

describe("the setup link file", () => {
  it("is private even when an older file of that name was readable by others", async () => {
    const { chmodSync, mkdtempSync, statSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { parseConfigText } = await import("../../src/agent/config/load.js");
    const { openDatabase } = await import("../../src/agent/store/db.js");
    const { issueSetupLinkIfNeeded, SETUP_LINK_FILE } = await import("../../src/web/server.js");
    const dir = mkdtempSync(join(tmpdir(), "gh-setup-"));
    const file = join(dir, SETUP_LINK_FILE);
    writeFileSync(file, "an expired link\n");
    chmodSync(file, 0o644);
    const config = parseConfigText(`site: T\ntimezone: UTC\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8443", tls: auto }\n`, join(dir, "gatehouse.yaml"));
    const issued = issueSetupLinkIfNeeded(openDatabase(":memory:"), config);
    expect(issued?.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("DNS rebinding on the plain-HTTP loopback console", () => {
  it("answers only requests addressed to a loopback name (or the public URL) when served without TLS", async () => {
    const metrics = { fetch: () => new Response("gatehouse_door_state{sensor=\"server-room\",state=\"open\"} 1\n") };
    const h = makeHarness({ https: false, metrics });
    const env = { incoming: { socket: { remoteAddress: "127.0.0.1", remotePort: 50000, remoteFamily: "IPv4" } } };
    // A page at http://evil.example:8080 whose name was rebound to 127.0.0.1, in a browser on the box.
    const rebound = await h.app.request("http://evil.example:8080/metrics", {}, env);
    expect(rebound.status).toBe(421);
    expect(await rebound.text()).not.toContain("gatehouse_door_state");
    expect(rebound.headers.get("Content-Security-Policy")).toBeTruthy();
    const login = await h.app.request("http://evil.example:8080/login", { method: "POST", headers: { Origin: "http://evil.example:8080", "Content-Type": "application/x-www-form-urlencoded" }, body: "username=a&password=b&code=1" }, env);
    expect(login.status).toBe(421);
    for (const host of ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "127.0.0.1"]) {
      expect((await h.app.request(`http://${host}/metrics`, {}, env)).status, host).toBe(200);
    }
    // Behind a local TLS proxy that passes its public name on, the configured public URL is accepted.
    const p = makeHarness({ https: false, metrics }, `site: T\ntimezone: UTC\ndata_dir: /nonexistent/x\nconsole: { listen: "127.0.0.1:8080", tls: off, public_url: "https://gatehouse.example.org" }\n`);
    expect((await p.app.request("http://gatehouse.example.org/metrics", {}, env)).status).toBe(200);
    // Over HTTPS the certificate already binds the name; nothing changes there.
    const s = makeHarness({ metrics });
    expect((await s.app.request("https://gh.test/metrics", {}, env)).status).toBe(200);
  });
});

describe("checked and fine (kept as regression tests)", () => {
  it("a 304 and a chunked body over the limit carry the security headers; HEAD runs no handler side effects beyond GET's", async () => {
    const h = makeHarness();
    const first = await call(h, "/static/console.css");
    const etag = first.headers.get("ETag")!;
    const notModified = await call(h, "/static/console.css", { headers: { "If-None-Match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("Content-Security-Policy")).toBeTruthy();
    expect(notModified.headers.get("Strict-Transport-Security")).toBeTruthy();
    const big = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 80; i++) c.enqueue(new TextEncoder().encode(`username=${"x".repeat(1000)}&`));
        c.close();
      },
    });
    const env = { incoming: { socket: { remoteAddress: "192.0.2.10" } } };
    const res = await h.app.request(`${ORIGIN}/login`, { method: "POST", body: big, headers: { Origin: ORIGIN, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded" }, duplex: "half" } as RequestInit, env);
    expect(res.status).toBe(413);
    expect(res.headers.get("Content-Security-Policy")).toBeTruthy();
  });

  it("user-name variants (case, surrounding spaces, Unicode case mapping) count against one account", async () => {
    const h = makeHarness();
    const u = await addUser(h, "kate", "viewer");
    const variants = ["kate", "KATE", " Kate ", "\u212Aate"]; // U+212A KELVIN SIGN lower-cases to "k"
    for (const [i, name] of variants.entries()) {
      const res = await call(h, "/login", { address: `198.51.100.${i + 1}`, form: { username: name, password: `wrong-password-${i}`, code: "123456" } });
      expect(res.status, name).toBe(401);
    }
    expect(u.username).toBe("kate");
    expect(h.db.prepare("SELECT count(DISTINCT account) AS n, count(*) AS f FROM auth_failures").get()).toEqual({ n: 1, f: 4 });
  });

  it("next= accepts only same-site paths", async () => {
    const { safeNext } = await import("../../src/web/forms.js");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/\t/evil.example", "\\\\evil.example", "/%0d%0aSet-Cookie:x", "/ok\r\nX: y", "/..//evil.example", ""]) {
      const n = safeNext(bad);
      expect(n, bad).toMatch(/^\/(?![/\\])[^\r\n\\]*$/);
      expect(new URL(n, ORIGIN).origin, bad).toBe(ORIGIN);
    }
    expect(safeNext("/alerts?x=1")).toBe("/alerts?x=1");
  });
});

describe("the sealing key file", () => {
  it("is made private again when found readable by others (it guards every second factor)", async () => {
    const { chmodSync, mkdtempSync, statSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { randomBytes } = await import("node:crypto");
    const { CONSOLE_KEY_FILE, loadOrCreateConsoleKey } = await import("../../src/web/tls.js");
    const dir = mkdtempSync(join(tmpdir(), "gh-key-"));
    const file = join(dir, CONSOLE_KEY_FILE);
    const key = randomBytes(32);
    writeFileSync(file, `${key.toString("base64")}\n`);
    chmodSync(file, 0o644); // e.g. restored from a backup, or copied in by hand
    expect(loadOrCreateConsoleKey(dir).equals(key)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("throttleAddress", () => {
  it("maps every spelling of one client to one key", async () => {
    const { throttleAddress } = await import("../../src/web/auth/throttle.js");
    const table: [string, string][] = [
      ["203.0.113.9", "203.0.113.9"],
      ["::ffff:203.0.113.9", "203.0.113.9"],
      ["::FFFF:cb00:7109", "203.0.113.9"],
      ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
      ["2001:0DB8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
      ["fe80::1%eth0", "fe80:0:0:0::/64"],
      ["::1", "0:0:0:0::/64"],
      ["unknown", "unknown"],
    ];
    for (const [input, key] of table) expect(throttleAddress(input), input).toBe(key);
  });
});

describe("a viewer cannot flood the audit log with refused requests (issue 18 item 1)", () => {
  it("writes at most one access.denied row a minute per user, size-capped, with the refusals in between counted and written later", async () => {
    const h = makeHarness();
    const v = await addUser(h, "vera", "viewer");
    const cookie = await signIn(h, v);
    const denied = () => h.db.prepare("SELECT * FROM audit WHERE action = 'access.denied' ORDER BY id").all() as { target: string; detail_json: string; at: number }[];
    const long = "x".repeat(15_000);
    for (let i = 0; i < 200; i++) {
      const res = await call(h, i % 2 ? `/alerts/${long}${i}/ack` : "/audit", { cookie, ...(i % 2 ? { form: {} } : {}) });
      expect(res.status).toBe(403);
    }
    expect(denied()).toHaveLength(1);
    // A minute on, the next refusal is written with the count of those in between.
    h.clock.advance(60_000);
    expect((await call(h, "/users", { cookie })).status).toBe(403);
    const rows = denied();
    expect(rows).toHaveLength(2);
    const d = JSON.parse(rows[1]!.detail_json) as { merged_before: number; merged_targets: string[] };
    expect(d.merged_before).toBe(199);
    expect(d.merged_targets.length).toBeLessThanOrEqual(5);
    for (const r of rows) expect(r.target.length + r.detail_json.length).toBeLessThan(2_000);
    // Refusals followed by silence are written by housekeeping, not lost.
    await call(h, "/audit", { cookie });
    const { flushDenials } = await import("../../src/web/auth/denials.js");
    expect(flushDenials(h.db, h.clock.now())).toBe(0);
    h.clock.advance(61_000);
    expect(flushDenials(h.db, h.clock.now())).toBe(1);
    expect(JSON.parse(denied().at(-1)!.detail_json)).toMatchObject({ merged_before: 1, merged_targets: ["GET /audit"] });
  });
});

describe("the overview and /healthz never walk the audit chain (issue 18 item 1, issue 17 item 5)", () => {
  it("answers from the last verified state; the walk runs in the background and finds an edit", async () => {
    const { auditChain } = await import("../../src/agent/audit.js");
    const h = makeHarness();
    const a = await addUser(h, "alice", "admin");
    const cookie = await signIn(h, a);
    await auditChain(h.db).walk({ full: true });
    // An edited row, then a new row: a page that walked the chain on request would show it broken at once.
    h.db.exec("DROP TRIGGER audit_no_update");
    h.db.prepare("UPDATE audit SET actor = 'user:nobody' WHERE action = 'login.success'").run();
    const page = await (await call(h, "/", { cookie })).text();
    expect(page).toMatch(/id="control-audit"[^>]*data-status="pass"/);
    expect((await call(h, "/healthz")).status).toBe(200);
    await auditChain(h.db).walk({ full: true });
    expect(await (await call(h, "/", { cookie })).text()).toMatch(/id="control-audit"[^>]*data-status="fail"/);
  });
});

describe("lockout aimed at the attacker (issue 18 item 2)", () => {
  it("an attacker's address is slowed down while the owner signs in at once from a clean address", async () => {
    const { totpCode } = await import("../../src/web/auth/totp.js");
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      const res = await call(h, "/login", { address: "203.0.113.66", form: { username: "alice", password: `guess-${i}-xxxxxxxx`, code: "123456" } });
      if (res.status === 429) refused++;
      h.clock.advance(500);
    }
    expect(refused).toBeGreaterThan(5);
    expect((await call(h, "/login", { address: "203.0.113.66", form: { username: "alice", password: u.password, code: totpCode(u.secret, h.clock.now()) } })).status).toBe(429);
    const owner = await call(h, "/login", { address: "198.51.100.7", form: { username: "alice", password: u.password, code: totpCode(u.secret, h.clock.now()) } });
    expect(owner.status).toBe(303);
    // The owner's success forgives only the owner's address: the attacker's failures still count.
    expect((await call(h, "/login", { address: "203.0.113.66", form: { username: "alice", password: "guess-x-xxxxxxxx", code: "123456" } })).status).toBe(429);
  });

  it("distributed guessing meets the account's ceiling (1,000 an hour); the owner then gets in with a recovery code", async () => {
    const { totpCode } = await import("../../src/web/auth/totp.js");
    const { recordFailure, MAX_ACCOUNT_FAILURES_PER_HOUR } = await import("../../src/web/auth/throttle.js");
    const { throttleAccount } = await import("../../src/web/auth/login.js");
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    const key = throttleAccount(h.key, "alice");
    // As many failures as the ceiling, each from its own address within the hour (recorded as the login does).
    h.db.transaction(() => {
      for (let i = 0; i < MAX_ACCOUNT_FAILURES_PER_HOUR; i++) recordFailure(h.db, key, `10.${i >> 8}.${i & 255}.1`, h.clock.now() - i * 1_000);
    })();
    const attacker = await call(h, "/login", { address: "192.0.2.200", form: { username: "alice", password: "guess-xxxxxxxxxx", code: "123456" } });
    expect(attacker.status).toBe(429);
    const withTotp = await call(h, "/login", { address: "198.51.100.7", form: { username: "alice", password: u.password, code: totpCode(u.secret, h.clock.now()) } });
    expect(withTotp.status).toBe(429);
    expect(await withTotp.text()).toContain("recovery codes");
    const fakeRecovery = await call(h, "/login", { address: "192.0.2.201", form: { username: "alice", password: u.password, code: "aaaa-bbbb-cccc-dddd-eeee-ffff" } });
    expect(fakeRecovery.status).toBe(429);
    const withRecovery = await call(h, "/login", { address: "198.51.100.7", form: { username: "alice", password: u.password, code: u.recovery[0]! } });
    expect(withRecovery.status).toBe(303);
  });
});

describe("a bounded password-hash queue (issue 18 item 3)", () => {
  it("answers 503 with Retry-After beyond two running and sixteen waiting hashes, and a real login right after works", async () => {
    const { totpCode } = await import("../../src/web/auth/totp.js");
    const h = makeHarness();
    const u = await addUser(h, "alice", "viewer");
    await call(h, "/login", { address: "192.0.2.1", form: { username: "warm-up", password: "wrong-password-x", code: "123456" } });
    const burst = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call(h, "/login", { address: `10.1.${i >> 8}.${i & 255}`, form: { username: `name${i}`, password: "wrong-password-x", code: "123456" } })),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(18);
    expect(statuses.filter((s) => s === 503)).toHaveLength(42);
    const busy = burst.find((r) => r.status === 503)!;
    expect(busy.headers.get("Retry-After")).toBe("2");
    expect(await busy.text()).toContain("busy");
    // A refused attempt is not counted as a failure (the password was never checked).
    expect((h.db.prepare("SELECT count(*) AS n FROM auth_failures").get() as { n: number }).n).toBe(19);
    expect((await call(h, "/login", { address: "198.51.100.7", form: { username: "alice", password: u.password, code: totpCode(u.secret, h.clock.now()) } })).status).toBe(303);
  });

  it("the semaphore refuses beyond its queue and keeps order within it", async () => {
    const { Semaphore, HashQueueFull } = await import("../../src/web/auth/passwords.js");
    const s = new Semaphore(1, 1);
    let release!: () => void;
    const first = s.run(() => new Promise<void>((r) => (release = r)));
    const second = s.run(async () => "second");
    expect(s.hasRoom()).toBe(false);
    await expect(s.run(async () => "third")).rejects.toBeInstanceOf(HashQueueFull);
    release();
    await first;
    expect(await second).toBe("second");
    expect(s.hasRoom()).toBe(true);
  });
});

describe("setup-link.txt after use (issue 18 item 7)", () => {
  it("is removed when the first administrator enrolls, and at the next start if it lingers", async () => {
    const { existsSync, mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { totpCode } = await import("../../src/web/auth/totp.js");
    const { issueSetupLinkIfNeeded } = await import("../../src/web/server.js");
    const dir = mkdtempSync(join(tmpdir(), "gh-setup-"));
    const h = makeHarness({}, `site: T\ntimezone: UTC\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8443", tls: auto }\n`);
    const issued = issueSetupLinkIfNeeded(h.db, h.deps.config, h.clock.now())!;
    expect(existsSync(issued.file)).toBe(true);
    const token = /\/enroll\/([A-Za-z0-9_-]{22})/.exec(issued.link)![1]!;
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(await (await call(h, `/enroll/${token}`)).text())![1]!;
    const pw = "the first admin passphrase";
    expect((await call(h, `/enroll/${token}`, { form: { username: "boss", password: pw, password2: pw, code: totpCode(secret, h.clock.now()) } })).status).toBe(200);
    expect(existsSync(issued.file)).toBe(false);
    // A copy left behind (say, restored from a backup) goes at the next start.
    writeFileSync(issued.file, "old link\n");
    expect(issueSetupLinkIfNeeded(h.db, h.deps.config, h.clock.now())).toBeUndefined();
    expect(existsSync(issued.file)).toBe(false);
  });
});
