/**
 * Table-driven parser tests over test/fixtures/wifi (see its SOURCE.md), node-wifi's own parser
 * on the same input (where it goes wrong, and why Gatehouse parses nmcli itself), and the
 * hostapd.conf parser checked against what the real hostapd 2.10 reported for each file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanCommand } from "../../../src/monitors/wifi/index.js";
import { parseHostapdConf } from "../../../src/monitors/wifi/parse-hostapd-conf.js";
import { parseNmcliDevices, parseNmcliWifiList, splitTerse, type WifiNetwork } from "../../../src/monitors/wifi/parse-nmcli.js";
import { hostapdSecurity, scanSecurity } from "../../../src/monitors/wifi/security.js";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { fixtureCases, parseOutcome as outcome } from "../../helpers/fixture-cases.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/wifi");
const FIELDS = scanCommand(undefined).fields;
const nodeWifiParse = createRequire(import.meta.url)("node-wifi/src/linux/scan/parser.js") as (stdout: string) => Omit<WifiNetwork, "active">[];

const cases = (dir: string, ext: string) => fixtureCases(FIXTURES, dir, ext);

const fixture = (p: string) => readFileSync(join(FIXTURES, p), "utf8");

describe("splitTerse (nmcli -t escaping)", () => {
  it.each([
    ["a:b:c", ["a", "b", "c"]],
    ["Suite 4B\\: Billing:x", ["Suite 4B: Billing", "x"]],
    ["C\\:\\\\Users:x", ["C:\\Users", "x"]],
    ["ends\\\\:x", ["ends\\", "x"]],
    ["a\\\\\\:b:x", ["a\\:b", "x"]],
    [":", ["", ""]],
    ["", [""]],
  ])("%j", (line, fields) => expect(splitTerse(line)).toEqual(fields));
});

describe("parseNmcliWifiList (nmcli --terse … device wifi list)", () => {
  const all = cases("nmcli-device-wifi-list", ".txt");
  it("has fixtures", () => expect(all.length).toBeGreaterThanOrEqual(15));
  it.each(all)("$name", ({ input, expected }) => {
    const got = outcome(() => {
      const p = parseNmcliWifiList(input, FIELDS);
      return { ...p, levels: p.networks.map((n) => `${n.bssid} ${scanSecurity(n)}`) };
    });
    expect(got).toEqual(expected);
  });

  it("keeps every tricky SSID byte-exact", () => {
    const ssids = parseNmcliWifiList(fixture("nmcli-device-wifi-list/escaping.txt"), FIELDS).networks.map((n) => n.ssid);
    expect(ssids).toEqual([
      "Suite 4B: Billing",
      "C:\\Users\\Public",
      "Ärztehaus Süd 🏥",
      " leading and trailing spaces ",
      "AA:BB:CC:DD:EE:FF",
      "ends with backslash\\",
      ":",
      "--",
      "",
      "AcmeStaff ",
      "acmestaff",
      "a\\:b",
      "AcmeStaff",
    ]);
  });

  it("refuses a field list without the fields it needs", () => {
    expect(() => parseNmcliWifiList("", "active,bssid")).toThrow(ProbeError);
  });
});

describe("node-wifi's own nmcli parser, on the same output", () => {
  it("agrees with ours on node-wifi's recorded log (same network shape)", () => {
    const text = fixture("nmcli-device-wifi-list/node-wifi-scan-01.txt");
    const ours = parseNmcliWifiList(text, FIELDS).networks.map(({ active: _active, ...n }) => n);
    const theirs = nodeWifiParse(text).map((n) => ({ ...n, security: n.security === "none" ? "" : n.security }));
    expect(ours).toEqual(theirs);
  });

  it("gets SSIDs with colons and backslashes wrong, and takes an SSID that looks like a BSSID for the BSSID", () => {
    const text = fixture("nmcli-device-wifi-list/escaping.txt");
    const ours = parseNmcliWifiList(text, FIELDS).networks;
    const theirs = nodeWifiParse(text);
    expect(theirs).toHaveLength(ours.length);
    const byLine = ours.map((o, i) => ({ ours: o, theirs: theirs[i]! }));
    // "Suite 4B: Billing" is cut at the escaped colon, and every later field shifts.
    expect(byLine[0]!.theirs.ssid).toBe("Suite 4B\\");
    expect(byLine[0]!.theirs.security).not.toBe("WPA2");
    // Backslashes stay escaped.
    expect(byLine[5]!.theirs.ssid).not.toBe("ends with backslash\\");
    // An attacker's SSID "AA:BB:CC:DD:EE:FF" becomes node-wifi's BSSID for that access point.
    expect(byLine[4]!.ours.bssid).toBe("12:34:56:78:9A:BC");
    expect(byLine[4]!.theirs.bssid).toBe("AA:BB:CC:DD:EE:FF");
    const wrong = byLine.filter((x) => x.theirs.ssid !== x.ours.ssid || x.theirs.bssid !== x.ours.bssid);
    expect(wrong.map((x) => x.ours.ssid)).toEqual(["Suite 4B: Billing", "C:\\Users\\Public", "AA:BB:CC:DD:EE:FF", "ends with backslash\\", ":", "a\\:b"]);
  });
});

describe("parseNmcliDevices (nmcli -t -f DEVICE,TYPE device)", () => {
  it.each(cases("nmcli-device", ".txt"))("$name", ({ input, expected }) => {
    expect(outcome(() => parseNmcliDevices(input))).toEqual(expected);
  });
});

describe("parseHostapdConf", () => {
  it.each(cases("hostapd-conf", ".conf"))("$name", ({ input, expected }) => {
    const got = outcome(() => {
      const p = parseHostapdConf(input);
      return { ...p, levels: p.bss.map((b) => `${b.iface} ${hostapdSecurity(b)}`) };
    });
    expect(got).toEqual(expected);
  });

  it("never keeps a secret", () => {
    for (const { input } of cases("hostapd-conf", ".conf").filter((c) => !c.name.startsWith("garbage"))) {
      const text = JSON.stringify(parseHostapdConf(input));
      expect(text).not.toMatch(/correct horse|radius-secret|acme1/);
    }
  });

  // hostapd 2.10 itself, run on each file with driver=none, printed its effective settings
  // (`hostapd_cli get_config`, defaults applied): the parser must arrive at the same.
  const recorded = readdirSync(join(FIXTURES, "hostapd-get-config")).filter((f) => f.endsWith(".txt") && f !== "RECORDED-WITH.txt");
  it("has hostapd's own recordings", () => expect(recorded.length).toBeGreaterThanOrEqual(3));
  it.each(recorded)("matches hostapd's own get_config: %s", (file) => {
    const text = fixture(`hostapd-get-config/${file}`);
    if (text.startsWith("# hostapd refused")) return; // multi-BSS needs a real radio: see SOURCE.md
    const real = Object.fromEntries(
      text
        .split("\n")
        .filter((l) => l.includes("=") && !l.startsWith("#"))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const b = parseHostapdConf(fixture(`hostapd-conf/${file.replace(/\.txt$/, ".conf")}`)).bss[0]!;
    const unescape = (s: string) => Buffer.from(s.replace(/\\x([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
    const set = (s: string | undefined) => (s ? s.split(" ").sort() : []);
    expect(b.ssid).toBe(unescape(real.ssid!));
    expect(b.wpa).toBe(Number(real.wpa ?? 0));
    expect(set(b.keyMgmt.join(" "))).toEqual(set(real.key_mgmt));
    expect(b.groupCipher).toBe(real.group_cipher);
    expect(set(b.rsnPairwise.join(" "))).toEqual(set(real.rsn_pairwise_cipher));
    expect(set(b.wpaPairwise.join(" "))).toEqual(set(real.wpa_pairwise_cipher));
  });
});
