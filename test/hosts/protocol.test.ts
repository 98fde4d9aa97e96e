/** Request bodies from osquery's documentation and the recorded exchange, through the validators and the pure translators. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { distributedWriteBody, enrollBody, enrollDetails, loggerBody, nodeBody, parseDistributedWrite, parseResultLines, queryOf } from "../../src/agent/hosts/protocol.js";
import { osqueryConfig, POSTURE_QUERIES, queriesFor } from "../../src/agent/hosts/queries.js";
import { platformOf } from "../../src/agent/hosts/snapshot.js";
import { EXCHANGE, FIXTURES, fixtureBody } from "./osquery-client.js";

const doc = (f: string) => JSON.parse(readFileSync(join(FIXTURES, "docs", f), "utf8")) as unknown;
const recorded = (f: string) => JSON.parse(fixtureBody(f, { enroll_secret: "s".repeat(20), node_key: "k".repeat(43) }, EXCHANGE)) as unknown;

describe("the documentation's own examples", () => {
  it("accepts remote.md's enroll body (host_details and platform_type are optional)", () => {
    const b = enrollBody.parse(doc("remote-enroll.json"));
    expect(enrollDetails(b)).toEqual({ hostname: "YOURHOSTNAME.local", platform: "", osName: "", osVersion: "", osqueryVersion: "", hardwareSerial: "" });
  });

  it("accepts remote.md's distributed write and drops ids Gatehouse never handed out", () => {
    const b = distributedWriteBody.parse(doc("remote-distributed-write.json"));
    expect(parseDistributedWrite(b)).toEqual({ results: new Map(), skipped: 3 });
  });

  it("reads logging.md's snapshot line once renamed into Gatehouse's schedule, and skips it under its own name", () => {
    const line = doc("logging-snapshot-line.json") as Record<string, unknown>;
    expect(parseResultLines([line])).toEqual({ results: new Map(), skipped: 1 });
    const ours = parseResultLines([{ ...line, name: "gatehouse_linux_clamav_processes" }]);
    expect(ours.skipped).toBe(0);
    expect(ours.results.get("linux_clamav_processes")?.rows).toHaveLength(4);
    expect(ours.results.get("linux_clamav_processes")?.rows[0]).toEqual({ parent: "0", path: "/sbin/launchd", pid: "1" });
  });
});

describe("the recorded Windows exchange", () => {
  it("validates every request body", () => {
    expect(enrollBody.safeParse(recorded("01-enroll.request.json")).success).toBe(true);
    expect(nodeBody.safeParse(recorded("02-config.request.json")).success).toBe(true);
    expect(nodeBody.safeParse(recorded("03-distributed-read.request.json")).success).toBe(true);
    expect(distributedWriteBody.safeParse(recorded("04-distributed-write.request.json")).success).toBe(true);
    expect(loggerBody.safeParse(recorded("05-log-result.request.json")).success).toBe(true);
    expect(loggerBody.safeParse(recorded("06-log-status.request.json")).success).toBe(true);
  });

  it("flattens the enrolment's host details", () => {
    expect(enrollDetails(enrollBody.parse(recorded("01-enroll.request.json")))).toEqual({
      hostname: "FRONT-DESK-1",
      platform: "windows",
      osName: "Microsoft Windows 11 Pro",
      osVersion: "10.0.26200",
      osqueryVersion: "5.12.1",
      hardwareSerial: "7R4JK53",
    });
  });

  it("keeps the catalog's snapshot from a result batch and skips other packs' event lines", () => {
    const b = loggerBody.parse(recorded("05-log-result.request.json"));
    const p = parseResultLines(b.data);
    expect(p.skipped).toBe(1);
    expect([...p.results.keys()]).toEqual(["win_bitlocker"]);
    expect(p.results.get("win_bitlocker")).toEqual({ rows: [{ drive_letter: "C:", conversion_status: "1", protection_status: "1", encryption_method: "XTS_AES_128" }], status: 0 });
  });

  it("takes each query's rows and status from a distributed write", () => {
    const p = parseDistributedWrite(distributedWriteBody.parse(recorded("04-distributed-write.request.json")));
    expect(p.skipped).toBe(0);
    expect(p.results.size).toBe(7);
    expect(p.results.get("win_admins")?.rows.map((r) => r.username)).toEqual(["Administrator", "itadmin", "frontdesk"]);
  });
});

describe("values and garbage", () => {
  it("normalizes numerics mode values to strings, as the default mode sends them", () => {
    const p = parseResultLines([{ name: "gatehouse_mac_firewall", action: "snapshot", snapshot: [{ global_state: 1, extra: null, flag: true }], unixTime: 5 }]);
    expect(p.results.get("mac_firewall")?.rows).toEqual([{ global_state: "1", extra: "", flag: "1" }]);
  });

  it("keeps the newest run when a batch carries two runs of one query", () => {
    const line = (t: number, v: string) => ({ name: "gatehouse_mac_firewall", action: "snapshot", snapshot: [{ global_state: v }], unixTime: t });
    expect(parseResultLines([line(200, "2"), line(100, "0")]).results.get("mac_firewall")?.rows).toEqual([{ global_state: "2" }]);
    expect(parseResultLines([line(100, "0"), line(100, "1")]).results.get("mac_firewall")?.rows).toEqual([{ global_state: "1" }]);
  });

  it.each([
    ["a nested value", { name: "gatehouse_mac_firewall", action: "snapshot", snapshot: [{ global_state: { x: 1 } }] }],
    ["snapshot not a list", { name: "gatehouse_mac_firewall", action: "snapshot", snapshot: "1" }],
    ["differential line", { name: "gatehouse_mac_firewall", action: "added", columns: { global_state: "1" } }],
    ["unknown query", { name: "gatehouse_drop_tables", action: "snapshot", snapshot: [] }],
    ["no name", { action: "snapshot", snapshot: [] }],
  ])("skips a result line with %s", (_, line) => {
    expect(parseResultLines([line as Record<string, unknown>])).toEqual({ results: new Map(), skipped: 1 });
  });

  it.each([
    ["no secret", { host_identifier: "a" }],
    ["empty identifier", { enroll_secret: "x", host_identifier: "" }],
    ["host_details not an object", { enroll_secret: "x", host_identifier: "a", host_details: [] }],
    ["a detail that is an object", { enroll_secret: "x", host_identifier: "a", host_details: { os_version: { name: {} } } }],
  ])("refuses an enroll body with %s", (_, b) => {
    expect(enrollBody.safeParse(b).success).toBe(false);
  });

  it("refuses a distributed write with too many rows", () => {
    const rows = Array.from({ length: 2001 }, () => ({ a: "1" }));
    expect(distributedWriteBody.safeParse({ node_key: "k", queries: { gatehouse_os_version: rows } }).success).toBe(false);
  });
});

describe("the query catalog and config", () => {
  it("maps schedule names back to catalog queries only", () => {
    expect(queryOf("gatehouse_os_version")).toBe("os_version");
    expect(queryOf("os_version")).toBeUndefined();
    expect(queryOf("gatehouse_nope")).toBeUndefined();
    expect(queryOf("gatehouse___proto__")).toBeUndefined();
  });

  it("hands each platform its own queries plus the common ones, and every query when the platform is unknown", () => {
    for (const p of ["windows", "darwin", "linux"] as const) {
      const names = queriesFor(p).map((q) => q.name);
      expect(names).toContain("os_version");
      expect(queriesFor(p).every((q) => q.platform === p || q.platform === "all")).toBe(true);
    }
    expect(queriesFor(undefined)).toHaveLength(POSTURE_QUERIES.length);
  });

  it("schedules every query as a snapshot with osquery's platform filter", () => {
    const c = osqueryConfig(1800) as { schedule: Record<string, Record<string, unknown>> };
    expect(Object.values(c.schedule).every((q) => q.snapshot === true && q.interval === 1800)).toBe(true);
    expect(c.schedule.gatehouse_mac_filevault!.platform).toBe("darwin");
  });

  it("reads osquery's platform names", () => {
    expect([platformOf("windows"), platformOf("darwin"), platformOf("ubuntu"), platformOf("rhel"), platformOf("freebsd"), platformOf(""), platformOf("<b>")]).toEqual([
      "windows",
      "darwin",
      "linux",
      "linux",
      undefined,
      undefined,
      undefined,
    ]);
  });
});
