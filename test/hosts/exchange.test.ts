/**
 * osquery's enroll → config → distributed read/write → log exchange replayed from recorded bodies
 * through the real console app, by a client that behaves like osqueryd; refusals as osquery
 * expects them; garbage and oversized bodies refused with nothing stored; one host's findings
 * reaching the alerts and the outbox.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { POSTURE_QUERIES } from "../../src/agent/hosts/queries.js";
import { hostFindings, listHosts, nodeKeyDigest } from "../../src/agent/store/hosts.js";
import { YAML, makeHarness, type Harness } from "../web/harness.js";
import { appTransport, ENDPOINTS, fixtureBody, OsqueryClient } from "./osquery-client.js";

const SECRET = "office-enroll-secret-9f4c2a7e1b";
const DEC_1 = Date.UTC(2026, 11, 1, 10, 0, 0);

function hostsHarness(secret = SECRET, extra = ""): { h: Harness; secretFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "gh-osq-"));
  const secretFile = join(dir, "enroll.secret");
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const yaml = `${YAML}hosts:\n  enroll_secret_file: ${secretFile}\n  allowed_admins: [itadmin]\n  offline_after: 2d\n${extra}`;
  const h = makeHarness({ routes: [{ channel: "email", minSeverity: "warning" }] }, yaml);
  h.clock.t = DEC_1;
  return { h, secretFile };
}

const count = (h: Harness, sql: string, ...args: unknown[]) => (h.db.prepare(sql).get(...args) as { n: number }).n;
const dbState = (h: Harness) => ({
  hosts: count(h, "SELECT count(*) AS n FROM osquery_hosts"),
  results: count(h, "SELECT count(*) AS n FROM osquery_results"),
  observations: count(h, "SELECT count(*) AS n FROM observations"),
  alerts: count(h, "SELECT count(*) AS n FROM alerts"),
  outbox: count(h, "SELECT count(*) AS n FROM outbox"),
});

describe("osquery exchange replayed through the console app", () => {
  let h: Harness;
  let client: OsqueryClient;
  beforeEach(() => {
    h = hostsHarness().h;
    client = new OsqueryClient(appTransport(h.app), SECRET);
  });

  it("enrols, hands out the config, asks the platform's posture queries once, judges the answers and records them with alerts and outbox rows", async () => {
    const enroll = await client.enroll();
    expect(enroll.status).toBe(200);
    expect(enroll.json.node_invalid).toBe(false);
    expect(client.nodeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Only the SHA-256 of the node key is stored.
    const row = h.db.prepare("SELECT * FROM osquery_hosts").get() as Record<string, unknown>;
    expect(row.node_key_sha256).toBe(nodeKeyDigest(client.nodeKey));
    expect(JSON.stringify(row)).not.toContain(client.nodeKey);
    expect(row).toMatchObject({ hostname: "FRONT-DESK-1", platform: "windows", os_name: "Microsoft Windows 11 Pro", osquery_version: "5.12.1", hardware_serial: "7R4JK53" });
    const audit = h.db.prepare("SELECT actor, action, target FROM audit").all();
    expect(audit).toEqual([{ actor: "osquery", action: "host.enroll", target: "host:1" }]);

    const config = await client.post(ENDPOINTS.config, "02-config.request.json");
    expect(config.status).toBe(200);
    const schedule = config.json.schedule as Record<string, { query: string; interval: number; snapshot: boolean; platform?: string }>;
    expect(Object.keys(schedule).sort()).toEqual(POSTURE_QUERIES.map((q) => `gatehouse_${q.name}`).sort());
    expect(schedule.gatehouse_win_bitlocker).toEqual({ query: expect.stringContaining("FROM bitlocker_info"), interval: 3600, snapshot: true, platform: "windows" });
    expect(schedule.gatehouse_os_version!.platform).toBeUndefined();

    const round = await client.distributedRound();
    const windows = POSTURE_QUERIES.filter((q) => q.platform === "windows" || q.platform === "all").map((q) => `gatehouse_${q.name}`);
    expect(round.asked.sort()).toEqual(windows.sort());
    expect(round.write?.status).toBe(200);
    expect(round.write?.json).toEqual({ node_invalid: false });
    // Answered once: the next poll hands out nothing.
    expect((await client.distributedRound()).asked).toEqual([]);

    const findings = Object.fromEntries(hostFindings(h.db).map((f) => [f.rule, [f.status, f.message]]));
    expect(findings).toEqual({
      "hosts.checkin": ["pass", "FRONT-DESK-1: checking in"],
      "hosts.antivirus": ["pass", "FRONT-DESK-1: anti-virus on and up to date (Microsoft Defender Antivirus)"],
      "hosts.updates": ["pass", "FRONT-DESK-1: last Windows update 2026-11-20"],
      "hosts.os_eol": ["pass", "FRONT-DESK-1: Microsoft Windows 11 Pro 10.0.26200 (build 26200), supported until 2027-10-12"],
      "hosts.disk_encryption": ["fail", "FRONT-DESK-1: BitLocker protection is off on C:"],
      "hosts.admins": ["warn", "FRONT-DESK-1: local administrators beyond IT's accounts: frontdesk"],
      "hosts.firewall": ["pass", "FRONT-DESK-1: Windows Firewall on"],
      "hosts.screen_lock": ["pass", "FRONT-DESK-1: the screen locks after 10 min idle"],
    });
    const alerts = h.db.prepare("SELECT source, rule, severity, state FROM alerts ORDER BY rule").all();
    expect(alerts).toEqual([
      { source: "host:1", rule: "hosts.admins", severity: "warning", state: "firing" },
      { source: "host:1", rule: "hosts.disk_encryption", severity: "critical", state: "firing" },
    ]);
    const outbox = h.db.prepare("SELECT channel, event, payload_json FROM outbox").all() as { channel: string; event: string; payload_json: string }[];
    expect(outbox.map((o) => [o.channel, o.event])).toEqual([["email", "firing"]]);
    expect(outbox[0]!.payload_json).toContain("BitLocker protection is off on C:");
    expect(outbox[0]!.payload_json).toContain("frontdesk");

    // A later scheduled snapshot (BitLocker turned on) arrives through the logger; the other pack's line is skipped.
    h.clock.advance(3_600_000);
    const log = await client.post(ENDPOINTS.logger, "05-log-result.request.json");
    expect(log.json).toEqual({ node_invalid: false });
    expect(hostFindings(h.db).find((f) => f.rule === "hosts.disk_encryption")).toMatchObject({ status: "pass", message: "FRONT-DESK-1: BitLocker on C: (XTS_AES_128)" });
    expect(count(h, "SELECT count(*) AS n FROM osquery_results WHERE via = 'logger'")).toBe(1);

    // Status logs are acknowledged and not stored.
    const before = dbState(h);
    const status = await client.post(ENDPOINTS.logger, "06-log-status.request.json");
    expect(status.json).toEqual({ node_invalid: false });
    expect(dbState(h)).toEqual(before);
    expect(client.enrollments).toBe(1);
  });

  it("answers a wrong enroll secret with node_invalid and stores nothing", async () => {
    const wrong = new OsqueryClient(appTransport(h.app), "not-the-office-secret-000");
    const r = await wrong.enroll();
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ node_invalid: true });
    expect(wrong.nodeKey).toBe("");
    expect(dbState(h)).toEqual({ hosts: 0, results: 0, observations: 0, alerts: 0, outbox: 0 });
  });

  it("answers an unknown node key with node_invalid on every endpoint; osqueryd then re-enrols and the old key stops working", async () => {
    const send = appTransport(h.app);
    for (const [path, file] of [
      [ENDPOINTS.config, "02-config.request.json"],
      [ENDPOINTS.distributedRead, "03-distributed-read.request.json"],
      [ENDPOINTS.distributedWrite, "04-distributed-write.request.json"],
      [ENDPOINTS.logger, "05-log-result.request.json"],
    ] as const) {
      const r = await send(path, fixtureBody(file, { node_key: "made-up-node-key" }), client.headers);
      expect([path, r.status, r.json]).toEqual([path, 200, { node_invalid: true }]);
    }
    expect(dbState(h)).toEqual({ hosts: 0, results: 0, observations: 0, alerts: 0, outbox: 0 });

    await client.enroll();
    const oldKey = client.nodeKey;
    await client.enroll(); // osquery lost its database: same host identifier, new key
    expect(listHosts(h.db)).toHaveLength(1);
    const stale = await send(ENDPOINTS.config, fixtureBody("02-config.request.json", { node_key: oldKey }), client.headers);
    expect(stale.json).toEqual({ node_invalid: true });
    // The client behaviour of utility.h: node_invalid clears the key, the retry enrols and succeeds.
    client.nodeKey = oldKey;
    const retried = await client.post(ENDPOINTS.config, "02-config.request.json");
    expect(retried.json.schedule).toBeDefined();
    expect(client.enrollments).toBe(3);
    expect(h.db.prepare("SELECT action FROM audit ORDER BY id").all()).toEqual([{ action: "host.enroll" }, { action: "host.reenroll" }, { action: "host.reenroll" }]);
  });

  it("refuses garbage and oversized bodies with an error osqueryd keeps and retries, storing nothing", async () => {
    await client.enroll();
    await client.distributedRound();
    const before = dbState(h);
    const send = appTransport(h.app);
    const key = client.nodeKey;
    const cases: [string, string, number][] = [
      [ENDPOINTS.enroll, "not json at all", 400],
      [ENDPOINTS.enroll, JSON.stringify({ enroll_secret: SECRET }), 400],
      [ENDPOINTS.enroll, JSON.stringify({ enroll_secret: SECRET, host_identifier: "x".repeat(300) }), 400],
      [ENDPOINTS.config, "[]", 400],
      [ENDPOINTS.config, JSON.stringify({ node_key: 42 }), 400],
      [ENDPOINTS.distributedWrite, JSON.stringify({ node_key: key, queries: { gatehouse_os_version: [{ name: { nested: "object" } }] } }), 400],
      [ENDPOINTS.distributedWrite, JSON.stringify({ node_key: key, queries: "nope" }), 400],
      [ENDPOINTS.logger, JSON.stringify({ node_key: key, log_type: "result", data: "not a list" }), 400],
      [ENDPOINTS.logger, `{"node_key": "${key}", "log_type": "result", "data": [`, 400],
      [ENDPOINTS.config, JSON.stringify({ node_key: key, pad: "x".repeat(9 * 1024) }), 413],
      [ENDPOINTS.logger, JSON.stringify({ node_key: key, log_type: "result", data: [{ pad: "x".repeat(4200 * 1024) }] }), 413],
    ];
    for (const [path, body, status] of cases) {
      const r = await send(path, body, client.headers);
      expect([path, body.slice(0, 40), r.status]).toEqual([path, body.slice(0, 40), status]);
      expect(typeof r.json.error).toBe("string");
      expect(r.text).not.toMatch(/at .*\.ts:\d+|stack/i);
    }
    // Wrong method, compressed bodies and unknown paths are refused too.
    expect((await h.app.request("https://gh.test/osquery/config", { method: "GET" })).status).toBe(405);
    expect((await send(ENDPOINTS.logger, "x", { ...client.headers, "Content-Encoding": "gzip" })).status).toBe(415);
    expect((await send("/osquery/nothing-here", "{}", client.headers)).status).toBe(404);
    expect(dbState(h)).toEqual(before);
    // A valid batch after the garbage still lands: nothing was poisoned.
    h.clock.advance(60_000);
    expect((await client.post(ENDPOINTS.logger, "05-log-result.request.json")).json).toEqual({ node_invalid: false });
    expect(dbState(h).observations).toBe(before.observations + 1);
  });

  it("rate limits a peer, and enrolment more tightly", async () => {
    const send = appTransport(h.app, "198.51.100.7");
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await send(ENDPOINTS.enroll, fixtureBody("01-enroll.request.json", { enroll_secret: "wrong-secret-wrong-secret" }), client.headers)).status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    // Another peer is not affected; the window passes.
    expect((await client.enroll()).json.node_invalid).toBe(false);
    h.clock.advance(10 * 60_000);
    expect((await send(ENDPOINTS.enroll, fixtureBody("01-enroll.request.json", { enroll_secret: SECRET }), client.headers)).status).toBe(200);
  });

  it("refuses enrolment while the secret file is unreadable or too short, and new hosts past max_hosts", async () => {
    const { h: h2, secretFile } = hostsHarness("short", "  max_hosts: 1\n");
    const c2 = new OsqueryClient(appTransport(h2.app), "short");
    expect((await c2.enroll()).json).toEqual({ node_invalid: true });
    writeFileSync(secretFile, `${SECRET}\n`);
    expect((await c2.enroll()).json).toEqual({ node_invalid: true }); // the client still sends the old secret
    const c3 = new OsqueryClient(appTransport(h2.app), SECRET);
    expect((await c3.enroll()).json.node_invalid).toBe(false); // rotated without a restart
    // A second computer is refused at max_hosts: 1; the enrolled one may still re-enrol.
    const other = fixtureBody("01-enroll.request.json", { enroll_secret: SECRET }).replace(/4C4C4544-0052-3410-8036-B7C04F4E3532/g, "0E5C1B2A-7D3F-4C61-9A80-5B4E3D2C1F00");
    expect((await appTransport(h2.app)(ENDPOINTS.enroll, other, c3.headers)).json).toEqual({ node_invalid: true });
    expect((await c3.enroll()).json.node_invalid).toBe(false);
    expect(listHosts(h2.db)).toHaveLength(1);
  });
});
