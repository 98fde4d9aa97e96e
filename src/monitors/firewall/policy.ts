/**
 * The firewall monitor's pure policy: each address family must filter inbound traffic (a box
 * filtered on IPv4 but open on IPv6 fails), rules we cannot read are said out loud, and a ufw
 * host must have ufw enabled at boot.
 */
import type { Facts, PolicyFinding } from "../monitor.js";
import { FACT } from "./facts.js";
import { FAMILIES, type Family } from "./ruleset.js";

const LABEL: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" };

function advice(backend: string, family: Family): string {
  const ip6 = family === "ipv6";
  switch (backend) {
    case "ufw":
      return ip6 ? "set IPV6=yes in /etc/default/ufw and run `ufw reload`" : "run `ufw enable`";
    case "firewalld":
      return "start firewalld (`systemctl enable --now firewalld`) and keep the interfaces out of zones with target ACCEPT";
    case "iptables-nft":
    case "iptables-legacy":
    case "iptables":
      return `allow what you need, then \`${ip6 ? "ip6tables" : "iptables"} -P INPUT DROP\`, and persist it (netfilter-persistent save)`;
    default:
      return `add an input chain with \`policy drop\` to a \`table inet\` (covers IPv4 and IPv6) in /etc/nftables.conf and enable nftables.service`;
  }
}

function familyFinding(facts: Facts, family: Family): PolicyFinding {
  const enabled = facts[FACT.enabled(family)];
  const policy = facts[FACT.policy(family)];
  const open = facts[FACT.openPorts(family)];
  const backend = String(facts[FACT.backend] ?? "nftables");
  const label = LABEL[family];
  const rule = `firewall.${family}_open`;
  const keys = [FACT.enabled(family), FACT.policy(family), FACT.openPorts(family)];
  if (typeof enabled !== "boolean") {
    return { rule, status: "unknown", message: `${label} filtering was not observed`, facts: keys };
  }
  if (enabled) {
    const ports = Array.isArray(open) && open.length > 0 ? open.join(", ") : "none";
    return { rule, status: "pass", message: `${label} inbound traffic is filtered (default ${String(policy)}); open to everyone: ${ports}`, facts: keys };
  }
  let why: string;
  if (policy === "none") why = `no input chain covers ${label}`;
  else if (policy === "accept") why = `the input chain accepts by default and no rule drops what is left`;
  else why = `a rule accepts all ${label} traffic before the default ${String(policy)}`;
  return { rule, status: "fail", message: `${label} inbound traffic is not filtered (${backend}): ${why}; ${advice(backend, family)}`, facts: keys };
}

function unknownFinding(facts: Facts): PolicyFinding {
  const unknown = facts[FACT.unknown];
  const list = Array.isArray(unknown) ? unknown : [];
  if (list.length === 0) {
    return { rule: "firewall.unknown_expressions", status: "pass", message: "every rule of the ruleset was read", facts: [FACT.unknown] };
  }
  const xtOnly = list.every((u) => u.startsWith("iptables-nft compat"));
  const hint = xtOnly
    ? "these are iptables-nft rules; install iptables so they are read with iptables-nft-save"
    : "update Gatehouse, or report the expression type";
  return {
    rule: "firewall.unknown_expressions",
    status: "warn",
    message: `${list.length} rule expression${list.length > 1 ? "s" : ""} could not be read (${list.slice(0, 3).join("; ")}${list.length > 3 ? "; …" : ""}), so open ports may be incomplete: ${hint}`,
    facts: [FACT.unknown],
  };
}

function ufwFinding(facts: Facts): PolicyFinding | undefined {
  if (!(FACT.ufwEnabled in facts)) return undefined;
  const enabled = facts[FACT.ufwEnabled];
  const base = { rule: "firewall.ufw_enabled", facts: [FACT.ufwEnabled] };
  if (enabled === true) return { ...base, status: "pass", message: "ufw is enabled at boot (/etc/ufw/ufw.conf ENABLED=yes)" };
  if (enabled === false) {
    return { ...base, status: "fail", message: "ufw is disabled in /etc/ufw/ufw.conf (ENABLED=no), so no firewall is loaded at boot: run `ufw enable`" };
  }
  return { ...base, status: "unknown", message: "/etc/ufw/ufw.conf does not say ENABLED=yes or no: check the file" };
}

/** Facts → findings. Pure; drift against the approved baseline is the agent's job. */
export function firewallPolicy(facts: Facts): PolicyFinding[] {
  const findings = FAMILIES.map((f) => familyFinding(facts, f));
  findings.push(unknownFinding(facts));
  const ufw = ufwFinding(facts);
  if (ufw) findings.push(ufw);
  return findings;
}
