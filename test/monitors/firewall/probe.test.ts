/**
 * Probe tests: the monitor's real probe with a replaying RunFn (exact argv, recorded output,
 * any other command fails the test) and a temp directory as the filesystem root.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { CommandPermissionDenied, type RunFn } from "../../../src/kit/exec.js";
import { firewall } from "../../../src/monitors/firewall/index.js";
import { ProbeError, type Facts } from "../../../src/monitors/monitor.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { replayRun, type Replay } from "../../helpers/replay-run.js";

const FX = join(import.meta.dirname, "../../fixtures/firewall");
const fx = (p: string) => join(FX, p);

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "gh-fw-probe-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function withUfwConf(fixture: string) {
  mkdirSync(join(root, "etc/ufw"), { recursive: true });
  cpSync(fx(`ufw-conf/${fixture}`), join(root, "etc/ufw/ufw.conf"));
}

const noFirewalld: Replay = { argv: ["firewall-cmd", "--state"], notInstalled: true };
const noLegacy: Replay[] = [
  { argv: ["iptables-legacy-save"], stdoutFile: fx("iptables-save/empty-legacy.txt") },
  { argv: ["ip6tables-legacy-save"], stdout: "" },
];

async function probe(replays: Replay[], backend = "auto") {
  const run = replayRun(replays);
  const ctx = testProbeContext({ run, root });
  const obs = await firewall.probe(ctx, firewall.parseConfig({ backend }));
  return { ...obs, calls: run.calls };
}

function findings(facts: Facts) {
  const list = firewall.policy(facts, firewall.parseConfig(undefined), { now: new Date(), firstSeen: () => undefined });
  return Object.fromEntries(list.map((f) => [f.rule, f]));
}

describe("firewall config", () => {
  it("defaults to auto when the key is absent or empty", () => {
    expect(firewall.parseConfig(undefined)).toEqual({ backend: "auto" });
    expect(firewall.parseConfig(null)).toEqual({ backend: "auto" });
  });
  it("names the key and the allowed values for a bad backend", () => {
    expect(() => firewall.parseConfig({ backend: "pf" })).toThrow(ConfigError);
    expect(() => firewall.parseConfig({ backend: "pf" })).toThrow(/backend: expected one of auto, nftables, iptables, ufw, firewalld/);
  });
  it("refuses unknown keys", () => {
    expect(() => firewall.parseConfig({ backend: "auto", polling: true })).toThrow(/polling.*unknown key|unknown key.*polling/);
  });
});

describe("firewall probe, backend auto", () => {
  it("reads nftables when neither firewalld nor ufw is in charge", async () => {
    const { facts, calls, evidence } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/inet-filter.json") },
      ...noLegacy,
    ]);
    expect(calls.map((c) => c[0])).toEqual(["firewall-cmd", "nft", "iptables-legacy-save", "ip6tables-legacy-save"]);
    expect(facts["firewall.backend"]).toBe("nftables");
    expect(facts["firewall.ipv4_enabled"]).toBe(true);
    expect(facts["firewall.ipv6_open_ports"]).toEqual(["tcp/443", "tcp/8443", "udp/5060-5061", "udp/10000-20000"]);
    expect(facts["firewall.ipv4_rules"]).toContain("inet filter input: ip saddr @admin_nets tcp dport 22 ct state new counter accept");
    expect(facts["firewall.fingerprint"]).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence).toContain("ipv4: filtered, default reject");
    const f = findings(facts);
    expect(f["firewall.ipv4_open"]!.status).toBe("pass");
    expect(f["firewall.ipv6_open"]!.status).toBe("pass");
    expect(f["firewall.unknown_expressions"]!.status).toBe("pass");
    expect(f["firewall.ufw_enabled"]).toBeUndefined();
  });

  it("counters that moved (a second real recording after traffic) change no fact", async () => {
    const a = await probe([noFirewalld, { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/inet-filter.json") }, ...noLegacy]);
    const b = await probe([noFirewalld, { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/inet-filter-traffic.json") }, ...noLegacy]);
    expect(b.facts).toEqual(a.facts);
  });

  it("re-reads iptables-nft tables with iptables-nft-save, so nothing stays opaque", async () => {
    const { facts } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/iptables-nft-plain.json") },
      { argv: ["iptables-nft-save"], stdoutFile: fx("iptables-save/iptables-nft-plain.txt") },
      { argv: ["ip6tables-nft-save"], stdoutFile: fx("ip6tables-save/iptables-nft-open.txt") },
      ...noLegacy,
    ]);
    expect(facts["firewall.backend"]).toBe("iptables-nft");
    expect(facts["firewall.unknown_expressions"]).toEqual([]);
    expect(facts["firewall.ipv4_open_ports"]).toEqual(["tcp/80", "tcp/443", "udp/5060-5061"]);
    const f = findings(facts);
    expect(f["firewall.ipv4_open"]!.status).toBe("pass");
    expect(f["firewall.ipv6_open"]!.status).toBe("fail");
    expect(f["firewall.ipv6_open"]!.message).toMatch(/^IPv6 inbound traffic is not filtered \(iptables-nft\): the input chain accepts by default/);
  });

  it("without iptables-nft-save the xt expressions are reported, not guessed", async () => {
    const { facts } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/iptables-nft-plain.json") },
      { argv: ["iptables-nft-save"], notInstalled: true },
      { argv: ["ip6tables-nft-save"], notInstalled: true },
      { argv: ["iptables-legacy-save"], notInstalled: true },
    ]);
    expect(facts["firewall.backend"]).toBe("nftables");
    expect(facts["firewall.unknown_expressions"]).toContain('iptables-nft compat expression "xt match multiport" in ip filter (nft\'s JSON omits its arguments)');
    const f = findings(facts);
    expect(f["firewall.unknown_expressions"]!.status).toBe("warn");
    expect(f["firewall.unknown_expressions"]!.message).toMatch(/install iptables/);
  });

  it("settles nft 1.0.6's misprinted table flags from the text listing: a dormant table filters nothing", async () => {
    const { facts, calls } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/dormant.json") },
      { argv: ["nft", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset-text/dormant.txt") },
      ...noLegacy,
    ]);
    expect(calls).toContainEqual(["nft", "list", "ruleset"]);
    expect(facts["firewall.ipv4_rules"]).toContain("table inet filter flags dormant");
    expect(facts["firewall.unknown_expressions"]).toEqual([]);
    expect(findings(facts)["firewall.ipv4_open"]!.status).toBe("fail");
  });

  it("when the text listing is not available either, an unreadable-flags table counts as dormant, and says why", async () => {
    const { facts, evidence } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/dormant.json") },
      // e.g. refused by gatehouse-probe's allow-list: any command failure.
      { argv: ["nft", "list", "ruleset"], stderr: "not on the allow-list", code: 2 },
      ...noLegacy,
    ]);
    expect(facts["firewall.ipv4_rules"]).toContain("table inet filter flags unreadable (treated as dormant)");
    expect(facts["firewall.unknown_expressions"]).toEqual(['table inet filter has flags nft printed unreadably ("inet"); treated as dormant']);
    expect(evidence).toMatch(/nft list ruleset unavailable/);
    expect(findings(facts)["firewall.ipv4_open"]!.status).toBe("fail");
  });

  it("an iptables-nft-save that fails leaves the nft view and a note, not an error", async () => {
    const { facts, evidence } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/iptables-nft-plain.json") },
      { argv: ["iptables-nft-save"], stderr: "iptables-nft-save: refused", code: 1 },
      { argv: ["ip6tables-nft-save"], stdoutFile: fx("ip6tables-save/iptables-nft-open.txt") },
      ...noLegacy,
    ]);
    expect(facts["firewall.ipv4_enabled"]).toBe(true);
    expect(facts["firewall.ipv4_rules"]).toContain("ip filter INPUT: meta l4proto tcp xt match multiport counter accept");
    expect(evidence).toMatch(/iptables-nft-save unavailable/);
  });

  it("adds in-use iptables-legacy tables, which nft cannot see", async () => {
    const { facts } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/iptables-legacy-plain.json") },
      { argv: ["iptables-legacy-save"], stdoutFile: fx("iptables-save/iptables-legacy-plain.txt") },
      { argv: ["ip6tables-legacy-save"], stdoutFile: fx("ip6tables-save/iptables-legacy-open.txt") },
    ]);
    expect(facts["firewall.backend"]).toBe("iptables-legacy");
    expect(facts["firewall.ipv4_enabled"]).toBe(true);
    expect(facts["firewall.ipv4_rules"]).toContain("iptables-legacy filter: -A INPUT -s 10.20.0.0/16 -p tcp -m tcp --dport 22 -j ACCEPT");
    // The IPv6 legacy table only has ACCEPT policies and no rules: not in use, not listed.
    expect(facts["firewall.ipv6_rules"]).toEqual([]);
    expect(facts["firewall.ipv6_enabled"]).toBe(false);
  });

  it("takes ufw when ufw.conf says ENABLED=yes: kernel rules via iptables-save, ufw's rules via ufw status", async () => {
    withUfwConf("ufw-rules.conf");
    const { facts } = await probe([
      noFirewalld,
      { argv: ["iptables-save"], stdoutFile: fx("iptables-save/ufw-rules.txt") },
      { argv: ["ip6tables-save"], stdoutFile: fx("ip6tables-save/ufw-rules.txt") },
      { argv: ["ufw", "status", "verbose"], stdoutFile: fx("ufw-status-verbose/ufw-rules.txt") },
    ]);
    expect(facts["firewall.backend"]).toBe("ufw");
    expect(facts["firewall.ufw_enabled"]).toBe(true);
    expect(facts["firewall.ufw_rules"]).toContain("80,443/tcp ALLOW IN Anywhere");
    expect(facts["firewall.ufw_defaults"]).toBe("deny (incoming), allow (outgoing), disabled (routed)");
    expect(facts["firewall.ipv4_open_ports"]).toEqual(["tcp/22", "tcp/80", "tcp/443", "tcp/2222", "udp/68", "udp/1900", "udp/5353"]);
    // ufw status says "2222/tcp (v6) LIMIT IN", but this kernel refused ip6tables' REJECT target
    // while ufw loaded it, so its IPv6 limit chains stayed empty: the kernel is the authority.
    expect(facts["firewall.ipv6_open_ports"]).toEqual(["tcp/22", "tcp/80", "tcp/443", "udp/1900", "udp/5353"]);
    const f = findings(facts);
    expect(f["firewall.ufw_enabled"]!.status).toBe("pass");
    expect(f["firewall.ipv6_open"]!.status).toBe("pass");
  });

  it("a ufw status that needs root it does not have leaves ufw_rules null, not a crash", async () => {
    withUfwConf("ufw-default.conf");
    const { facts, evidence } = await probe([
      noFirewalld,
      { argv: ["iptables-save"], stdoutFile: fx("iptables-save/ufw-default.txt") },
      { argv: ["ip6tables-save"], stdoutFile: fx("ip6tables-save/ufw-default.txt") },
      { argv: ["ufw", "status", "verbose"], stdoutFile: fx("ufw-status-verbose/garbage-not-root.txt"), code: 1 },
    ]);
    expect(facts["firewall.ufw_rules"]).toBeNull();
    expect(facts["firewall.ipv4_enabled"]).toBe(true);
    expect(evidence).toMatch(/ufw status: not available/);
  });

  it("uses firewalld when it is running", async () => {
    const { facts } = await probe([
      { argv: ["firewall-cmd", "--state"], stdoutFile: fx("firewall-cmd-state/running.txt") },
      { argv: ["firewall-cmd", "--get-default-zone"], stdoutFile: fx("firewall-cmd-get-default-zone/public.txt") },
      { argv: ["firewall-cmd", "--get-active-zones"], stdoutFile: fx("firewall-cmd-get-active-zones/public-eth0.txt") },
      { argv: ["firewall-cmd", "--list-all", "--zone=public"], stdoutFile: fx("firewall-cmd-list-all/public-office-online.txt") },
      { argv: ["firewall-cmd", "--info-service=https"], stdoutFile: fx("firewall-cmd-info-service/https.txt") },
      { argv: ["firewall-cmd", "--info-service=ssh"], stdoutFile: fx("firewall-cmd-info-service/ssh.txt") },
    ]);
    expect(facts["firewall.backend"]).toBe("firewalld");
    expect(facts["firewall.firewalld_state"]).toBe("running");
    // SSH is allowed only from 10.20.0.0/16; port 9100 only by an IPv4 rich rule.
    expect(facts["firewall.ipv4_open_ports"]).toEqual(["tcp/443", "tcp/8443", "tcp/9100", "udp/5060-5061"]);
    expect(facts["firewall.ipv6_open_ports"]).toEqual(["tcp/443", "tcp/8443", "udp/5060-5061"]);
    expect(facts["firewall.ipv4_rules"]).toContain('zone public: rich rule rule family="ipv4" port port="9100" protocol="tcp" accept');
    expect(facts["firewall.ipv6_rules"]).not.toContain('zone public: rich rule rule family="ipv4" port port="9100" protocol="tcp" accept');
    const f = findings(facts);
    expect(f["firewall.ipv4_open"]!.status).toBe("pass");
    expect(f["firewall.ipv6_open"]!.status).toBe("pass");
  });

  it("falls back to the kernel ruleset when firewalld is installed but stopped", async () => {
    const { facts } = await probe([
      { argv: ["firewall-cmd", "--state"], stdoutFile: fx("firewall-cmd-state/not-running.txt"), code: 252 },
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/ipv4-only.json") },
      ...noLegacy,
    ]);
    expect(facts["firewall.backend"]).toBe("nftables");
    expect(findings(facts)["firewall.ipv6_open"]!.status).toBe("fail");
  });

  it("says clearly when no firewall tool exists at all", async () => {
    await expect(
      probe([
        noFirewalld,
        { argv: ["nft", "-j", "list", "ruleset"], notInstalled: true },
        { argv: ["iptables-save"], notInstalled: true },
      ]),
    ).rejects.toThrow(/no firewall tool found/);
  });
});

describe("firewall probe, explicit backends and failures", () => {
  it("firewalld not running fails both families", async () => {
    const { facts } = await probe([{ argv: ["firewall-cmd", "--state"], stdoutFile: fx("firewall-cmd-state/not-running.txt"), code: 252 }], "firewalld");
    expect(facts["firewall.firewalld_state"]).toBe("not running");
    const f = findings(facts);
    expect(f["firewall.ipv4_open"]!.status).toBe("fail");
    expect(f["firewall.ipv4_open"]!.message).toMatch(/firewalld.*no input chain covers IPv4.*systemctl enable --now firewalld/);
  });

  it("firewalld with the NIC in the trusted zone (target ACCEPT) fails", async () => {
    const { facts } = await probe(
      [
        { argv: ["firewall-cmd", "--state"], stdout: "running\n" },
        { argv: ["firewall-cmd", "--get-default-zone"], stdout: "public\n" },
        { argv: ["firewall-cmd", "--get-active-zones"], stdout: "trusted\n  interfaces: eth0\n" },
        { argv: ["firewall-cmd", "--list-all", "--zone=public"], stdoutFile: fx("firewall-cmd-list-all/public-default.txt") },
        { argv: ["firewall-cmd", "--list-all", "--zone=trusted"], stdoutFile: fx("firewall-cmd-list-all/trusted.txt") },
        { argv: ["firewall-cmd", "--info-service=dhcpv6-client"], stdoutFile: fx("firewall-cmd-info-service/dhcpv6-client.txt") },
        { argv: ["firewall-cmd", "--info-service=ssh"], stdoutFile: fx("firewall-cmd-info-service/ssh.txt") },
      ],
      "firewalld",
    );
    expect(facts["firewall.ipv4_policy"]).toBe("accept");
    expect(findings(facts)["firewall.ipv4_open"]!.status).toBe("fail");
  });

  it("ufw disabled in ufw.conf fails the ufw check and, with its accept policies, both families", async () => {
    withUfwConf("ufw-disabled.conf");
    const { facts } = await probe(
      [
        { argv: ["iptables-save"], stdoutFile: fx("iptables-save/ufw-disabled.txt") },
        { argv: ["ip6tables-save"], stdoutFile: fx("ip6tables-save/ufw-disabled.txt") },
        { argv: ["ufw", "status", "verbose"], stdoutFile: fx("ufw-status-verbose/ufw-disabled.txt") },
      ],
      "ufw",
    );
    const f = findings(facts);
    expect(f["firewall.ufw_enabled"]!.status).toBe("fail");
    expect(f["firewall.ufw_enabled"]!.message).toMatch(/ENABLED=no.*ufw enable/);
    expect(f["firewall.ipv4_open"]!.status).toBe("fail");
    expect(f["firewall.ipv6_open"]!.message).toMatch(/IPV6=yes in \/etc\/default\/ufw/);
  });

  it("backend ufw without ufw.conf is a clear probe error", async () => {
    await expect(probe([], "ufw")).rejects.toThrow(/\/etc\/ufw\/ufw.conf not found \(backend ufw\)/);
  });

  it("backend iptables reads iptables-save only", async () => {
    const { facts, calls } = await probe(
      [
        { argv: ["iptables-save"], stdoutFile: fx("iptables-save/iptables-legacy-plain.txt") },
        { argv: ["ip6tables-save"], stdoutFile: fx("ip6tables-save/iptables-legacy-open.txt") },
      ],
      "iptables",
    );
    expect(calls).toEqual([["iptables-save"], ["ip6tables-save"]]);
    expect(facts["firewall.backend"]).toBe("iptables-legacy");
    expect(facts["firewall.ipv4_rules"]).toContain("filter: -P INPUT DROP");
  });

  it("malformed nft JSON is a probe error with a clear message", async () => {
    const p = probe([{ argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/garbage-truncated.json") }], "nftables");
    await expect(p).rejects.toThrow(ProbeError);
    await expect(p).rejects.toThrow(/nft -j list ruleset printed malformed JSON/);
  });

  it("garbage from iptables-save is a probe error, not a crash", async () => {
    const p = probe(
      [
        { argv: ["iptables-save"], stdoutFile: fx("iptables-save/garbage-random.txt") },
        { argv: ["ip6tables-save"], stdout: "" },
      ],
      "iptables",
    );
    await expect(p).rejects.toThrow(ProbeError);
  });

  it("nft refusing for lack of privilege is a probe error that says what is needed", async () => {
    // What the real run() throws when nft, unprivileged, prints "Operation not permitted".
    const denied: RunFn = async (cmd, args) => {
      throw new CommandPermissionDenied([cmd, ...args], "Error: cache initialization failed: Operation not permitted");
    };
    const p = firewall.probe(testProbeContext({ run: denied, root }), firewall.parseConfig({ backend: "nftables" }));
    await expect(p).rejects.toThrow(/nft -j list ruleset: permission denied.*needs root \(CAP_NET_ADMIN\)/);
  });

  it("unknown expression types give a warn finding naming them, and the rest is still read", async () => {
    const { facts } = await probe([
      noFirewalld,
      { argv: ["nft", "-j", "list", "ruleset"], stdoutFile: fx("nft-list-ruleset/unknown-expression.json") },
      ...noLegacy,
    ]);
    expect(facts["firewall.unknown_expressions"]).toEqual(['unknown object type "wormhole"', 'unknown expression "quantum" in inet filter input']);
    const f = findings(facts);
    expect(f["firewall.unknown_expressions"]!.status).toBe("warn");
    expect(f["firewall.unknown_expressions"]!.message).toMatch(/quantum.*update Gatehouse/);
    expect(f["firewall.ipv4_open"]!.status).toBe("pass");
  });
});
