/**
 * gatehouse-probe's allow-list is composed from what the monitors declare, and the daemon's
 * client maps calls onto names from the same declarations: this checks the union, the
 * agreement of both sides for every declared query, and the composer's refusals.
 */
import { describe, expect, it } from "vitest";
import type { PrivilegedQuery } from "../../src/kit/privileged.js";
import { FIREWALL_COMMANDS } from "../../src/monitors/firewall/index.js";
import { MONITORS } from "../../src/monitors/index.js";
import { commandQueryName, dirQueryName, fileQueryName, streamQueryName } from "../../src/probe/client.js";
import { ALLOW_LIST, composeAllowList, QUERY_NAMES, resolveQuery } from "../../src/probe/queries.js";

const declared = MONITORS.flatMap((m) => Object.entries(m.privileged ?? {}));

describe("the allow-list is the union of the monitors' declarations", () => {
  it("has exactly the declared names, each with its declaration", () => {
    expect(declared.length).toBeGreaterThan(0);
    expect([...ALLOW_LIST.keys()].sort()).toEqual([...new Set(declared.map(([name]) => name))].sort());
    for (const [name, q] of declared) expect(ALLOW_LIST.get(name), name).toEqual(q);
  });

  it.each(declared)("helper and client agree on %s", (name, q: PrivilegedQuery) => {
    switch (q.kind) {
      case "command":
        if (q.param) break; // covered below with a value
        expect(resolveQuery(name)).toEqual({ kind: "command", cmd: q.argv[0], args: q.argv.slice(1) });
        expect(commandQueryName(q.argv[0], q.argv.slice(1))).toBe(name);
        expect(streamQueryName(q.argv[0], q.argv.slice(1))).toBeUndefined();
        break;
      case "stream":
        expect(resolveQuery(name)).toEqual({ kind: "stream", cmd: q.argv[0], args: q.argv.slice(1) });
        expect(streamQueryName(q.argv[0], q.argv.slice(1))).toBe(name);
        expect(commandQueryName(q.argv[0], q.argv.slice(1))).toBeUndefined();
        break;
      case "file":
        expect(resolveQuery(name)).toEqual({ kind: "file", path: q.path });
        expect(fileQueryName(q.path)).toBe(name);
        break;
      case "dir":
        expect(resolveQuery(name)).toEqual({ kind: "dir", path: q.path });
        expect(dirQueryName(q.path)).toBe(name);
        expect(fileQueryName(`${q.path}/x`)).toBe(`${name}/x`);
        break;
    }
    expect(resolveQuery(`${name} `)).toBeUndefined();
    expect(resolveQuery(`${name}/../x`)).toBeUndefined();
    expect(QUERY_NAMES.some((n) => n === name || n.startsWith(`${name}/`))).toBe(true);
  });

  it("every command the firewall runs through the privileged reader is answered by the helper", () => {
    for (const argv of Object.values(FIREWALL_COMMANDS)) expect(commandQueryName(argv[0], argv.slice(1)), argv.join(" ")).toBeDefined();
  });

  it("a parameterised command takes one strictly matched value, never anything else", () => {
    const list = composeAllowList([
      { id: "t", privileged: { "smart-health": { kind: "command", argv: ["smartctl", "--json", "-H"], param: { prefix: "/dev/", pattern: /sd[a-z]{1,2}/ } } } },
    ]);
    expect(resolveQuery("smart-health/sda", "/", list)).toEqual({ kind: "command", cmd: "smartctl", args: ["--json", "-H", "/dev/sda"] });
    expect(commandQueryName("smartctl", ["--json", "-H", "/dev/sda"], list)).toBe("smart-health/sda");
    for (const bad of ["smart-health", "smart-health/", "smart-health/sda1", "smart-health/xsda", "smart-health/../sda", "smart-health/sda/x", "smart-health/sdaaa"]) {
      expect(resolveQuery(bad, "/", list), bad).toBeUndefined();
    }
    expect(commandQueryName("smartctl", ["--json", "-H", "/dev/sda", "-x"], list)).toBeUndefined();
    expect(commandQueryName("smartctl", ["--json", "-H", "/tmp/sda"], list)).toBeUndefined();
    expect(commandQueryName("smartctl", ["--json", "-H", "/dev/sda;reboot"], list)).toBeUndefined();
  });

  it("refuses conflicting, malformed or relative declarations", () => {
    const nft = { kind: "command", argv: ["nft", "list", "ruleset"] } as const;
    expect(composeAllowList([{ id: "a", privileged: { x: nft } }, { id: "b", privileged: { x: nft } }]).size).toBe(1); // same meaning: fine
    expect(() => composeAllowList([{ id: "a", privileged: { x: nft } }, { id: "b", privileged: { x: { kind: "command", argv: ["nft", "flush", "ruleset"] } } }])).toThrow(
      /"x" is declared differently by a and b/,
    );
    expect(() => composeAllowList([{ id: "a", privileged: { "Bad Name": nft } }])).toThrow(/must match/);
    expect(() => composeAllowList([{ id: "a", privileged: { "a/b": nft } }])).toThrow(/must match/);
    expect(() => composeAllowList([{ id: "a", privileged: { f: { kind: "file", path: "etc/shadow" } } }])).toThrow(/normalized absolute path/);
    expect(() => composeAllowList([{ id: "a", privileged: { f: { kind: "file", path: "/etc/../shadow" } } }])).toThrow(/normalized absolute path/);
  });
});
