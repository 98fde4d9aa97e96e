/**
 * The wifi monitor end to end on fixtures: its real probe with a replaying RunFn (exact argv,
 * any other command fails the test), a temp directory as filesystem root for hostapd.conf, and
 * its policy. Every finding of issue 4 is covered here.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { NMCLI_DEVICES, scanCommand, wifi } from "../../../src/monitors/wifi/index.js";
import { NotApplicable, ProbeError, type PolicyFinding } from "../../../src/monitors/monitor.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { replayRun, type Replay } from "../../helpers/replay-run.js";

const FX = join(import.meta.dirname, "../../fixtures/wifi");
const OURS = ["02:AC:4E:00:00:01", "02:AC:4E:00:00:02"];
const SCAN = scanCommand(undefined);

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "gh-wifi-probe-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const devices = (file = "with-wifi.txt"): Replay => ({ argv: [...NMCLI_DEVICES], stdoutFile: join(FX, "nmcli-device", file) });
const list = (file: string, iface?: string): Replay => {
  const c = scanCommand(iface);
  return { argv: [c.cmd, ...c.args], stdoutFile: join(FX, "nmcli-device-wifi-list", file) };
};

function withHostapd(file: string): string {
  mkdirSync(join(root, "etc/hostapd"), { recursive: true });
  cpSync(join(FX, "hostapd-conf", file), join(root, "etc/hostapd/hostapd.conf"));
  return "/etc/hostapd/hostapd.conf";
}

async function check(replays: Replay[], raw: Record<string, unknown>) {
  const config = wifi.parseConfig(raw);
  const run = replayRun(replays);
  const obs = await wifi.probe(testProbeContext({ run, root }), config);
  const findings = wifi.policy(obs.facts, config, { now: new Date(), firstSeen: () => undefined });
  const by = Object.fromEntries(findings.map((f) => [f.rule, f])) as Record<string, PolicyFinding>;
  return { ...obs, findings, by, calls: run.calls };
}

describe("wifi config", () => {
  it("defaults when the key is absent", () => {
    expect(wifi.parseConfig(undefined)).toEqual({ ssids: [], bssids: [], require_hidden: true, min_security: "wpa2" });
  });
  it("normalizes BSSIDs to upper case", () => {
    expect(wifi.parseConfig({ bssids: ["02:ac:4e:00:00:01"] }).bssids).toEqual(["02:AC:4E:00:00:01"]);
  });
  it.each([
    [{ bssids: ["02-AC-4E-00-00-01"] }, /bssids\[0\].*BSSID like AA:BB:CC:DD:EE:FF/],
    [{ ssids: ["x".repeat(33)] }, /ssids\[0\].*1 to 32 bytes/],
    [{ ssids: ["é".repeat(17)] }, /ssids\[0\].*1 to 32 bytes/],
    [{ min_security: "wep" }, /min_security.*expected one of wpa2, wpa3/],
    [{ hostapd_conf: "hostapd.conf" }, /hostapd_conf.*absolute path/],
    [{ interface: "wlan0; rm -rf /" }, /interface.*interface name/],
    [{ ssid: "AcmeStaff" }, /ssid.*unknown key/],
  ])("rejects %j", (raw, message) => {
    expect(() => wifi.parseConfig(raw)).toThrow(ConfigError);
    expect(() => wifi.parseConfig(raw)).toThrow(message);
  });
});

describe("no Wi-Fi here: not applicable, quietly", () => {
  it("when nmcli is not installed", async () => {
    const p = check([{ argv: [...NMCLI_DEVICES], notInstalled: true }], { ssids: ["AcmeStaff"] });
    await expect(p).rejects.toThrow(NotApplicable);
    await expect(p).rejects.toThrow(/nmcli \(NetworkManager\) is not installed/);
  });
  it("when NetworkManager is not running", async () => {
    const p = check([{ argv: [...NMCLI_DEVICES], stderr: "Error: NetworkManager is not running.", code: 8 }], { ssids: ["AcmeStaff"] });
    await expect(p).rejects.toThrow(NotApplicable);
  });
  it("when nmcli lists no Wi-Fi device", async () => {
    const p = check([devices("no-wifi.txt")], { ssids: ["AcmeStaff"] });
    await expect(p).rejects.toThrow(NotApplicable);
    await expect(p).rejects.toThrow("no Wi-Fi device on this host");
  });
  it("when the configured interface is not a Wi-Fi device", async () => {
    await expect(check([devices()], { ssids: ["AcmeStaff"], interface: "wlan7" })).rejects.toThrow(/wlan7 is not a Wi-Fi device/);
  });
});

describe("scan findings", () => {
  it("the office as it should be: hidden, WPA2-CCMP, no twin; runs node-wifi's nmcli command", async () => {
    const r = await check([devices(), list("office.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.calls).toEqual([[...NMCLI_DEVICES], [SCAN.cmd, ...SCAN.args]]);
    expect(SCAN.args).toEqual(["--terse", "--fields", "active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags", "device", "wifi", "list"]);
    expect(r.facts["wifi.access_points"]).toEqual(['02:AC:4E:00:00:01 wpa2 hidden ""', '02:AC:4E:00:00:02 wpa2 hidden ""']);
    expect(r.facts["wifi.networks_seen"]).toBe(5);
    expect(r.findings.map((f) => [f.rule, f.status])).toEqual([
      ["wifi.ssid_hidden", "pass"],
      ["wifi.security", "pass"],
      ["wifi.evil_twin", "pass"],
      ["wifi.scan_unreadable", "pass"],
    ]);
  });

  it("scans on the configured interface", async () => {
    const r = await check([devices(), list("office.txt", "wlan0")], { ssids: ["AcmeStaff"], bssids: OURS, interface: "wlan0" });
    expect(r.calls[1]!.slice(-2)).toEqual(["ifname", "wlan0"]);
    expect(r.facts["wifi.interface"]).toBe("wlan0");
  });

  it("our SSID broadcast by name fails when require_hidden", async () => {
    const r = await check([devices(), list("broadcast.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.by["wifi.ssid_hidden"]!.status).toBe("fail");
    expect(r.by["wifi.ssid_hidden"]!.message).toBe('"AcmeStaff" is broadcast by name (by 02:AC:4E:00:00:01): turn off SSID broadcast on the access point');
    const relaxed = await check([devices(), list("broadcast.txt")], { ssids: ["AcmeStaff"], bssids: OURS, require_hidden: false });
    expect(relaxed.by["wifi.ssid_hidden"]!.status).toBe("pass");
  });

  it.each([
    ["mixed-wpa1.txt", "WPA1 (or WPA1/WPA2 mixed mode, which admits WPA1 and TKIP)"],
    ["tkip.txt", "WPA2 with TKIP allowed"],
    ["wep.txt", "WEP (broken)"],
    ["open.txt", "no encryption (open)"],
  ])("security below WPA2 fails: %s", async (file, label) => {
    const r = await check([devices(), list(file)], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.by["wifi.security"]!.status).toBe("fail");
    expect(r.by["wifi.security"]!.message).toBe(`02:AC:4E:00:00:01 (hidden) uses ${label}, below WPA2: set the access point to WPA2-AES (CCMP) or WPA3 only`);
  });

  it("OWE broadcast under our SSID fails security (anyone may join)", async () => {
    const r = await check([devices(), list("owe.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.by["wifi.security"]!.status).toBe("fail");
  });

  it("WPA2 and WPA3 pass min_security wpa2; WPA2/WPA3 transition fails wpa3", async () => {
    const wpa2 = await check([devices(), list("wpa3.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(wpa2.by["wifi.security"]!.status).toBe("pass");
    const wpa3 = await check([devices(), list("wpa3.txt")], { ssids: ["AcmeStaff"], bssids: OURS, min_security: "wpa3" });
    expect(wpa3.by["wifi.security"]!.status).toBe("fail");
    expect(wpa3.by["wifi.security"]!.message).toMatch(/^02:AC:4E:00:00:02 \(hidden\) uses WPA2, below WPA3/);
  });

  it("WPA2-Enterprise passes", async () => {
    const r = await check([devices(), list("enterprise.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.by["wifi.security"]!.status).toBe("pass");
  });

  it("our SSID from a BSSID not on the list is an evil twin", async () => {
    const r = await check([devices(), list("evil-twin.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.by["wifi.evil_twin"]!.status).toBe("fail");
    expect(r.by["wifi.evil_twin"]!.message).toBe(
      '"AcmeStaff" is broadcast by unknown access point 66:77:88:99:AA:BB: possible evil twin; find it, or add it to monitors.wifi.bssids if it is yours',
    );
    // The twin is not ours: it fails neither hiding nor security of our own access points.
    expect(r.by["wifi.ssid_hidden"]!.status).toBe("pass");
    expect(r.by["wifi.security"]!.status).toBe("pass");
  });

  it("without bssids there is no evil-twin check, and a hidden network's security cannot be known", async () => {
    const r = await check([devices(), list("office.txt")], { ssids: ["AcmeStaff"] });
    expect(r.by["wifi.evil_twin"]).toBeUndefined();
    expect(r.by["wifi.security"]!.status).toBe("unknown");
    expect(r.by["wifi.security"]!.message).toMatch(/list the access points in monitors\.wifi\.bssids/);
  });

  it("our access points out of range: security unknown, not pass", async () => {
    const r = await check([devices(), list("empty.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.by["wifi.security"]!.status).toBe("unknown");
  });

  it("escaping: colons, backslashes and near-miss names are told apart exactly", async () => {
    const r = await check([devices(), list("escaping.txt")], { ssids: ["AcmeStaff", "Suite 4B: Billing"], bssids: [...OURS, "10:00:00:00:00:01"] });
    expect(r.facts["wifi.access_points"]).toEqual(['02:AC:4E:00:00:01 wpa2 broadcast "AcmeStaff"', '10:00:00:00:00:01 wpa2 broadcast "Suite 4B: Billing"']);
    expect(r.by["wifi.ssid_hidden"]!.message).toBe(
      '"AcmeStaff", "Suite 4B: Billing" is broadcast by name (by 02:AC:4E:00:00:01, 10:00:00:00:00:01): turn off SSID broadcast on the access point',
    );
    // "AcmeStaff " and "acmestaff" are other networks, not twins.
    expect(r.by["wifi.evil_twin"]!.status).toBe("pass");
  });

  it("an SSID that looks like a BSSID does not impersonate that BSSID", async () => {
    const r = await check([devices(), list("escaping.txt")], { ssids: ["AcmeStaff"], bssids: ["AA:BB:CC:DD:EE:FF"] });
    expect(r.facts["wifi.access_points"]).toEqual(['02:AC:4E:00:00:01 wpa2 broadcast "AcmeStaff"']);
    expect(r.by["wifi.evil_twin"]!.status).toBe("fail");
  });

  it("unreadable scan lines give a warning, and the readable ones still count", async () => {
    const r = await check([devices(), list("garbage-mixed.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.facts["wifi.unreadable_lines"]).toBe(5);
    expect(r.by["wifi.scan_unreadable"]!.status).toBe("warn");
    expect(r.facts["wifi.access_points"]).toEqual(['02:AC:4E:00:00:02 wpa2 broadcast "AcmeStaff"']);
  });

  it("binary garbage from nmcli is unreadable lines, not a crash", async () => {
    const r = await check([devices(), list("garbage-binary.txt")], { ssids: ["AcmeStaff"], bssids: OURS });
    expect(r.facts["wifi.networks_seen"]).toBe(0);
    expect(r.by["wifi.scan_unreadable"]!.status).toBe("warn");
  });

  it("no SSIDs configured: unknown, saying what to set", async () => {
    const r = await check([devices(), list("office.txt")], {});
    expect(r.findings.every((f) => f.status === "unknown")).toBe(true);
    expect(r.findings[0]!.message).toMatch(/set monitors\.wifi\.ssids/);
  });
});

describe("hostapd.conf is the authority when the box is the access point", () => {
  it("a hidden WPA2-CCMP hostapd passes without any scan tool, and no secret reaches facts or evidence", async () => {
    const path = withHostapd("wpa2-hidden.conf");
    const r = await check([{ argv: [...NMCLI_DEVICES], notInstalled: true }], { ssids: ["AcmeStaff"], hostapd_conf: path });
    expect(r.facts["wifi.source"]).toBe("hostapd");
    expect(r.facts["wifi.hostapd_bss"]).toEqual(['wlan0 wpa2 hidden "AcmeStaff"']);
    expect(r.by["wifi.ssid_hidden"]!.status).toBe("pass");
    expect(r.by["wifi.security"]!.status).toBe("pass");
    expect(JSON.stringify(r.facts) + r.evidence).not.toMatch(/correct horse/);
    expect(r.evidence).toMatch(/no scan: nmcli/);
  });

  it("hostapd overrides what the scan suggests, and the scan still finds twins", async () => {
    const path = withHostapd("open-broadcast.conf");
    const r = await check([devices(), list("evil-twin.txt")], { ssids: ["AcmeStaff"], bssids: OURS, hostapd_conf: path });
    expect(r.facts["wifi.source"]).toBe("hostapd+scan");
    expect(r.by["wifi.ssid_hidden"]!.message).toBe(
      'hostapd broadcasts "AcmeStaff" by name (/etc/hostapd/hostapd.conf: ignore_broadcast_ssid=0): set ignore_broadcast_ssid=1 and restart hostapd',
    );
    expect(r.by["wifi.security"]!.status).toBe("fail");
    expect(r.by["wifi.evil_twin"]!.status).toBe("fail");
  });

  it.each([
    ["wpa2-default-cipher.conf", "WPA2 with TKIP allowed"],
    ["mixed-wpa1.conf", "WPA1 (or WPA1/WPA2 mixed mode, which admits WPA1 and TKIP)"],
    ["wep.conf", "WEP (broken)"],
  ])("hostapd below WPA2 fails: %s", async (file, label) => {
    const path = withHostapd(file);
    const r = await check([devices("no-wifi.txt")], { ssids: ["AcmeStaff"], hostapd_conf: path });
    expect(r.by["wifi.security"]!.status).toBe("fail");
    expect(r.by["wifi.security"]!.message).toBe(`hostapd runs "AcmeStaff" with ${label}, below WPA2: set wpa=2, wpa_key_mgmt=WPA-PSK (or SAE) and rsn_pairwise=CCMP`);
  });

  it("WPA3-SAE with a zeroed SSID passes min_security wpa3; the open guest BSS is not ours", async () => {
    const sae = await check([devices("no-wifi.txt")], { ssids: ["AcmeStaff"], min_security: "wpa3", hostapd_conf: withHostapd("wpa3-sae.conf") });
    expect(sae.by["wifi.security"]!.status).toBe("pass");
    expect(sae.by["wifi.ssid_hidden"]!.status).toBe("pass");
    const multi = await check([devices("no-wifi.txt")], { ssids: ["AcmeStaff"], hostapd_conf: withHostapd("multi-bss.conf") });
    expect(multi.facts["wifi.hostapd_bss"]).toEqual(['wlan0 wpa2 hidden "AcmeStaff"', 'wlan0_1 open broadcast "Acme Guest"']);
    expect(multi.by["wifi.security"]!.status).toBe("pass");
  });

  it("an SSID given as hex (ssid2) is matched decoded", async () => {
    const r = await check([devices("no-wifi.txt")], { ssids: ["Acme:Staff"], hostapd_conf: withHostapd("enterprise.conf") });
    expect(r.by["wifi.security"]!.message).toBe('hostapd: "Acme:Staff" WPA2');
  });

  it("a hostapd.conf that is not one is a probe error", async () => {
    await expect(check([devices("no-wifi.txt")], { ssids: ["AcmeStaff"], hostapd_conf: withHostapd("garbage-binary.conf") })).rejects.toThrow(ProbeError);
  });

  it("a missing hostapd.conf is a probe error naming the key", async () => {
    await expect(check([], { ssids: ["AcmeStaff"], hostapd_conf: "/etc/hostapd/nope.conf" })).rejects.toThrow(
      /cannot read \/etc\/hostapd\/nope\.conf \(monitors\.wifi\.hostapd_conf\)/,
    );
  });
});
