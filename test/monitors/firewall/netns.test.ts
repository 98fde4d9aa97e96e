/**
 * Integration: the firewall monitor's real probe against real nft / iptables inside a network
 * namespace this test creates and deletes. The probe's privileged RunFn is the real run()
 * prefixed with `ip netns exec NS`; its file reads point at an empty temp root, so the host's
 * /etc/ufw is never read.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { firewall } from "../../../src/monitors/firewall/index.js";
import type { Facts } from "../../../src/monitors/monitor.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { canRun } from "../../helpers/require-tool.js";
import { createNetns, type Netns } from "./netns.js";

const RULESETS = join(import.meta.dirname, "../../fixtures/firewall/rulesets");

let ns: Netns;
let root: string;

beforeEach(async () => {
  ns = await createNetns();
  root = mkdtempSync(join(tmpdir(), "gh-fw-root-"));
});
afterEach(async () => {
  await ns.destroy();
  rmSync(root, { recursive: true, force: true });
});

async function observe(backend: "auto" | "nftables" | "iptables" = "nftables"): Promise<Facts> {
  const ctx = testProbeContext({ run: ns.run, root });
  const config = firewall.parseConfig({ backend });
  return (await firewall.probe(ctx, config)).facts;
}

function statusOf(facts: Facts, rule: string) {
  const f = firewall.policy(facts, firewall.parseConfig(undefined), { now: new Date(), firstSeen: () => undefined });
  return f.find((x) => x.rule === rule)!.status;
}

async function loadNft(file: string) {
  await ns.sh("nft", "-f", join(RULESETS, file));
}

describe.skipIf(!canRun({ tools: ["ip", "nft"], root: true }))("firewall probe on nftables in a network namespace", () => {
  it("fails both families when no ruleset is loaded", async () => {
    const facts = await observe();
    expect(facts["firewall.ipv4_policy"]).toBe("none");
    expect(statusOf(facts, "firewall.ipv4_open")).toBe("fail");
    expect(statusOf(facts, "firewall.ipv6_open")).toBe("fail");
  });

  it("passes a good inet ruleset, and counters moving change neither rules nor fingerprint", async () => {
    await loadNft("inet-filter.nft");
    const before = await observe();
    expect(statusOf(before, "firewall.ipv4_open")).toBe("pass");
    expect(statusOf(before, "firewall.ipv6_open")).toBe("pass");
    expect(before["firewall.ipv4_open_ports"]).toEqual(["tcp/443", "tcp/8443", "udp/5060-5061", "udp/10000-20000"]);

    // Real traffic through the ruleset: connection attempts on the namespace's loopback.
    await ns.sh("ip", "link", "set", "lo", "up");
    const connect = `const net=require("node:net");let n=0;for(const p of [22,443,8443,9]){const s=net.connect(p,"127.0.0.1");s.on("error",()=>{});s.on("connect",()=>s.end());s.on("close",()=>{if(++n===4)process.exit(0)})}`;
    await ns.sh(process.execPath, "-e", connect);
    const raw = JSON.parse(await ns.sh("nft", "-j", "list", "ruleset")) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
    const packets = raw.nftables.flatMap((o) => o.rule?.expr ?? []).reduce((sum, e) => sum + (e.counter?.packets ?? 0), 0);
    expect(packets).toBeGreaterThan(0); // the counters did move

    const after = await observe();
    expect(after["firewall.ipv4_rules"]).toEqual(before["firewall.ipv4_rules"]);
    expect(after["firewall.ipv6_rules"]).toEqual(before["firewall.ipv6_rules"]);
    expect(after["firewall.fingerprint"]).toBe(before["firewall.fingerprint"]);
  });

  it("an added accept rule adds exactly that rule to the rules lists and its port to the open ports", async () => {
    await loadNft("inet-filter.nft");
    const before = await observe();
    await ns.sh("nft", "insert", "rule", "inet", "filter", "input", "tcp", "dport", "3306", "accept");
    const after = await observe();
    for (const key of ["firewall.ipv4_rules", "firewall.ipv6_rules"]) {
      const b = before[key] as string[];
      const a = after[key] as string[];
      expect(a.filter((r) => !b.includes(r))).toEqual(["inet filter input: tcp dport 3306 accept"]);
      expect(b.filter((r) => !a.includes(r))).toEqual([]);
    }
    expect(after["firewall.ipv4_open_ports"]).toContain("tcp/3306");
    expect(after["firewall.fingerprint"]).not.toBe(before["firewall.fingerprint"]);
  });

  it("fails again once the ruleset is flushed", async () => {
    await loadNft("inet-filter.nft");
    expect(statusOf(await observe(), "firewall.ipv4_open")).toBe("pass");
    await ns.sh("nft", "flush", "ruleset");
    const flushed = await observe();
    expect(statusOf(flushed, "firewall.ipv4_open")).toBe("fail");
    expect(statusOf(flushed, "firewall.ipv6_open")).toBe("fail");
    expect(flushed["firewall.ipv4_rules"]).toEqual([]);
  });

  it("an IPv4-only ruleset passes IPv4 and fails IPv6", async () => {
    await loadNft("ipv4-only.nft");
    const facts = await observe("auto");
    expect(facts["firewall.backend"]).toBe("nftables");
    expect(statusOf(facts, "firewall.ipv4_open")).toBe("pass");
    expect(statusOf(facts, "firewall.ipv6_open")).toBe("fail");
    expect(facts["firewall.ipv6_policy"]).toBe("none");
  });

  it("a table made dormant stops counting, although nft 1.0.6's JSON misprints the flag", async () => {
    await loadNft("inet-filter.nft");
    await ns.sh("nft", "add", "table", "inet", "filter", "{ flags dormant; }");
    const facts = await observe();
    expect(facts["firewall.ipv4_rules"]).toContain("table inet filter flags dormant");
    expect(statusOf(facts, "firewall.ipv4_open")).toBe("fail");
    expect(statusOf(facts, "firewall.ipv6_open")).toBe("fail");
  });

  it("Debian's default nftables.conf (accept policies) fails both families", async () => {
    await loadNft("debian-default.nft");
    const facts = await observe("auto");
    expect(facts["firewall.ipv4_policy"]).toBe("accept");
    expect(statusOf(facts, "firewall.ipv4_open")).toBe("fail");
    expect(statusOf(facts, "firewall.ipv6_open")).toBe("fail");
  });
});

describe.skipIf(!canRun({ tools: ["ip", "nft", "iptables-nft-restore", "ip6tables-nft-restore", "iptables-nft-save"], root: true }))(
  "firewall probe on iptables-nft in a network namespace",
  () => {
    it("reads iptables-nft tables in iptables syntax and fails the unfiltered IPv6 side", async () => {
      await ns.run("iptables-nft-restore", [], { input: readFileSync(join(RULESETS, "iptables-plain.rules"), "utf8") });
      await ns.run("ip6tables-nft-restore", [], { input: readFileSync(join(RULESETS, "ip6tables-open.rules"), "utf8") });
      const facts = await observe("auto");
      expect(facts["firewall.backend"]).toBe("iptables-nft");
      expect(facts["firewall.unknown_expressions"]).toEqual([]);
      expect(facts["firewall.ipv4_open_ports"]).toEqual(["tcp/80", "tcp/443", "udp/5060-5061"]);
      expect(facts["firewall.ipv4_rules"]).toContain("filter: -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT");
      expect(statusOf(facts, "firewall.ipv4_open")).toBe("pass");
      expect(statusOf(facts, "firewall.ipv6_open")).toBe("fail");

      const viaIptables = await observe("iptables");
      expect(viaIptables["firewall.ipv4_rules"]).toEqual(facts["firewall.ipv4_rules"]);
    });
  },
);

describe.skipIf(!canRun({ tools: ["ip", "nft", "iptables-legacy-restore", "iptables-legacy-save"], root: true }))(
  "firewall probe on iptables-legacy in a network namespace",
  () => {
    it("sees legacy tables that nft cannot see", async () => {
      await ns.run("iptables-legacy-restore", [], { input: readFileSync(join(RULESETS, "iptables-plain.rules"), "utf8") });
      expect(JSON.parse(await ns.sh("nft", "-j", "list", "ruleset")).nftables).toHaveLength(1); // metainfo only
      const facts = await observe("auto");
      expect(facts["firewall.backend"]).toBe("iptables-legacy");
      expect(statusOf(facts, "firewall.ipv4_open")).toBe("pass");
      expect(facts["firewall.ipv4_rules"]).toContain("iptables-legacy filter: -P INPUT DROP");
      expect(statusOf(facts, "firewall.ipv6_open")).toBe("fail");
    });
  },
);
