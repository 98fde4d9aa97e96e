import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { osEndOfLife } from "../../../src/monitors/patches/os-eol.js";
import { aptReadsPart, parseAptConf, unattendedUpgradeEnabled } from "../../../src/monitors/patches/parse-apt-conf.js";
import { parseAptGetSimulate } from "../../../src/monitors/patches/parse-apt-get.js";
import { parseDnfCheckUpdate, parseDnfUpdateinfo, parseNeedsRestarting } from "../../../src/monitors/patches/parse-dnf.js";
import { parseOsRelease } from "../../../src/monitors/patches/parse-os-release.js";
import { compareVersions } from "../../../src/monitors/patches/version-compare.js";
import { expectCase, fixtureCases } from "../../helpers/fixture-cases.js";
import { parseAptHistory, parseDpkgLog, upgradesEverything } from "../../../src/monitors/patches/parse-apt-history.js";
import { parseAptRelease, releaseMatchesOrigin } from "../../../src/monitors/patches/parse-apt-release.js";

const FIX = join(import.meta.dirname, "../../fixtures/patches");

const scenarios = (dir: string) => fixtureCases(FIX, dir) as { name: string; input: string; expected: any }[];

const GARBAGE = ["", "\u0000\u0001\u0002binary", "<html><body>502 Bad Gateway</body></html>", "{\"json\": true}", "x".repeat(100_000)];

describe("parseAptGetSimulate (recorded apt 2.6.1 output)", () => {
  const cases = scenarios("apt-get-dist-upgrade");
  it("has the scenarios the issue asks for", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(
      expect.arrayContaining(["broken-lists", "held-kept-back", "nothing-pending", "security-and-regular"]),
    );
  });
  it.each(cases)("$name", ({ input, expected }) => expectCase(() => parseAptGetSimulate(input), expected));
  it.each(GARBAGE)("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseAptGetSimulate(g)).toThrow(ProbeError);
    expect(() => parseAptGetSimulate(g)).toThrow(/apt-get/);
  });
  it("refuses a summary that disagrees with the Inst lines (truncated output)", () => {
    const text = readFileSync(join(FIX, "apt-get-dist-upgrade/security-and-regular.txt"), "utf8");
    const truncated = text.split("\n").slice(0, 60).join("\n");
    expect(() => parseAptGetSimulate(truncated)).toThrow(/inconsistent/);
  });
});

describe("parseDnfCheckUpdate (documented dnf 4 shapes)", () => {
  it.each(scenarios("dnf-check-update"))("$name", ({ input, expected }) => {
    expect(parseDnfCheckUpdate(input)).toEqual(expected);
  });
  it.each(GARBAGE.filter((g) => g !== ""))("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseDnfCheckUpdate(g)).toThrow(ProbeError);
  });
});

describe("parseDnfUpdateinfo (documented dnf 4 shape)", () => {
  it.each(scenarios("dnf-updateinfo"))("$name", ({ input, expected }) => {
    expect(parseDnfUpdateinfo(input)).toEqual(expected);
  });
  it.each(GARBAGE.filter((g) => g !== ""))("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseDnfUpdateinfo(g)).toThrow(ProbeError);
  });
  it("refuses an advisory without a readable date", () => {
    expect(() => parseDnfUpdateinfo(`${"=".repeat(79)}\n  x\n${"=".repeat(79)}\n  Update ID : RHSA-1\n    Updated : soon\n`)).toThrow(/RHSA-1 has no readable date/);
  });
});

describe("parseNeedsRestarting", () => {
  it.each(scenarios("needs-restarting"))("$name", ({ input, expected }) => {
    expect(parseNeedsRestarting(input, expected.exitCode)).toEqual(expected.expected);
  });
  it.each(GARBAGE)("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseNeedsRestarting(g, 1)).toThrow(ProbeError);
  });
  it("refuses an exit code it does not know", () => {
    expect(() => parseNeedsRestarting("Reboot is required", 2)).toThrow(/exited with 2/);
  });
});

describe("parseOsRelease + osEndOfLife", () => {
  it.each(scenarios("os-release"))("$name", ({ input, expected }) => {
    const os = parseOsRelease(input);
    expect(os).toEqual(expected.os);
    expect(osEndOfLife(os)).toBe(expected.eol);
  });
  it.each(GARBAGE)("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseOsRelease(g)).toThrow(ProbeError);
  });
  it("knows nothing of an unlisted release (no guessing)", () => {
    expect(osEndOfLife(parseOsRelease('ID=arch\nPRETTY_NAME="Arch Linux"'))).toBeNull();
    expect(osEndOfLife(parseOsRelease("ID=ubuntu\nVERSION_ID=24.10"))).toBeNull();
  });
});

describe("parseAptConf over real apt.conf.d trees", () => {
  const dir = join(FIX, "apt.conf.d");
  const trees = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  it.each(trees)("%s", (name) => {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), "utf8"));
    const options = new Map<string, string>();
    for (const f of readdirSync(join(dir, name)).filter(aptReadsPart).sort()) {
      for (const [k, v] of parseAptConf(readFileSync(join(dir, name, f), "utf8"))) options.set(k, v);
    }
    expect(unattendedUpgradeEnabled(options)).toBe(expected.unattendedUpgradeEnabled);
  });
  it("reads nested and flat forms to the same key", () => {
    expect(parseAptConf('APT { Periodic { Unattended-Upgrade "1"; }; };').get("apt::periodic::unattended-upgrade")).toBe("1");
    expect(parseAptConf('apt::periodic::unattended-upgrade "0";').get("apt::periodic::unattended-upgrade")).toBe("0");
  });
  it.each(['APT::X "1"', "APT { X \"1\";", "}", '"value";', "/* never closed", 'A "unterminated;'])(
    "garbage %j gives a clear ProbeError",
    (g) => {
      expect(() => parseAptConf(g)).toThrow(ProbeError);
    },
  );
});

describe("compareVersions (dpkg ordering)", () => {
  it.each([
    ["1.0", "1.0", 0],
    ["1.0~rc1", "1.0", -1],
    ["1:1.0", "2.0", 1],
    ["2.74.6-2+deb12u8", "2.74.6-2+deb12u9", -1],
    ["6.1.0-9-amd64", "6.1.0-18-amd64", -1],
    ["5.14.0-362.8.1.el9_3.x86_64", "5.14.0-362.13.1.el9_3.x86_64", -1],
    ["1.0a", "1.0", 1],
  ] as const)("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });
});

describe("parseAptRelease (recorded bookworm InRelease files)", () => {
  it.each(scenarios("apt-release"))("$name", ({ input, expected }) => expectCase(() => parseAptRelease(input), expected));
  it("reads a plain Release file (the InRelease without its signature) the same", () => {
    const signed = readFileSync(join(FIX, "apt-release/bookworm-security-inrelease.txt"), "utf8");
    const plain = signed.split("\n").slice(3).join("\n").split("-----BEGIN PGP SIGNATURE")[0]!;
    expect(parseAptRelease(plain)).toEqual(parseAptRelease(signed));
  });
  it.each(GARBAGE)("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseAptRelease(g)).toThrow(ProbeError);
    expect(() => parseAptRelease(g)).toThrow(/not an apt Release file/);
  });
  it("matches apt-get's origin notation Label:Version/Suite to its Release file", () => {
    const sec = parseAptRelease(readFileSync(join(FIX, "apt-release/bookworm-security-inrelease.txt"), "utf8"));
    const main = parseAptRelease(readFileSync(join(FIX, "apt-release/bookworm-inrelease-head.txt"), "utf8"));
    expect(releaseMatchesOrigin(sec, "Debian-Security:12/oldstable-security")).toBe(true);
    expect(releaseMatchesOrigin(sec, "Debian:12.15/oldstable")).toBe(false);
    expect(releaseMatchesOrigin(main, "Debian:12.15/oldstable")).toBe(true);
    expect(releaseMatchesOrigin(main, "Debian:12.14/oldstable")).toBe(false);
    expect(releaseMatchesOrigin(sec, "not an origin")).toBe(false);
  });
});

describe("parseAptHistory (recorded /var/log/apt/history.log)", () => {
  it.each(scenarios("apt-history"))("$name", ({ input, expected }) => {
    expect(parseAptHistory(input)).toEqual(expected);
  });
  it.each(GARBAGE.filter((g) => g !== ""))("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseAptHistory(g)).toThrow(ProbeError);
    expect(() => parseAptHistory(g)).toThrow(/not an apt history log/);
  });
  it("an empty (just rotated) log has no runs", () => {
    expect(parseAptHistory("")).toEqual([]);
  });
  it("tells runs that apply every upgrade from runs that install named packages", () => {
    const runs = parseAptHistory(readFileSync(join(FIX, "apt-history/dev-box.txt"), "utf8"));
    expect(runs.filter(upgradesEverything).map((t) => t.start)).toEqual(["2025-06-24T14:36:25"]);
    const other = parseAptHistory(readFileSync(join(FIX, "apt-history/unattended-and-crash.txt"), "utf8"));
    expect(other.map(upgradesEverything)).toEqual([true, false, true]);
    const tx = (commandline: string) => ({ start: "2026-01-01T00:00:00", commandline, upgrades: [{ pkg: "a", from: "1", to: "2" }] });
    expect(upgradesEverything(tx("apt-get install foo-upgrade"))).toBe(false);
    expect(upgradesEverything(tx("apt-get -o APT::Get::upgrade=1 install x"))).toBe(false);
    expect(upgradesEverything(tx("aptitude -y safe-upgrade"))).toBe(true);
    expect(upgradesEverything({ ...tx("apt-get upgrade"), upgrades: [] })).toBe(false);
  });
});

describe("parseDpkgLog (recorded /var/log/dpkg.log)", () => {
  it.each(scenarios("dpkg-log"))("$name", ({ input, expected }) => {
    expect(parseDpkgLog(input)).toEqual(expected);
  });
  it.each(GARBAGE.filter((g) => g !== ""))("garbage input gives a clear ProbeError (%#)", (g) => {
    expect(() => parseDpkgLog(g)).toThrow(ProbeError);
    expect(() => parseDpkgLog(g)).toThrow(/not a dpkg log/);
  });
});
