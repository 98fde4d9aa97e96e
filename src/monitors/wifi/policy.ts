/**
 * The Wi-Fi monitor's pure policy (issue 4): our SSID must not be broadcast when
 * `require_hidden`; our networks must meet `min_security`; our SSID from a BSSID that is not on
 * the list is an evil twin. A configured hostapd.conf is the authority on hiding and security.
 */
import type { Facts, PolicyFinding } from "../monitor.js";
import { parseApItem, WIFI_FACT, type ApItem } from "./facts.js";
import { LEVEL_LABEL, meets } from "./security.js";

/** The part of the config the policy reads. */
export interface WifiPolicyConfig {
  ssids: readonly string[];
  bssids: readonly string[];
  require_hidden: boolean;
  min_security: "wpa2" | "wpa3";
  hostapd_conf?: string | undefined;
}

function items(facts: Facts, key: string): ApItem[] {
  const v = facts[key];
  return Array.isArray(v) ? v.map(parseApItem).filter((x): x is ApItem => x !== undefined) : [];
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: string[]) => [...new Set(xs)].join(", ");

/** Facts → findings. Pure. */
export function wifiPolicy(facts: Facts, config: WifiPolicyConfig): PolicyFinding[] {
  const hostapd = items(facts, WIFI_FACT.hostapdBss);
  const scanned = facts[WIFI_FACT.accessPoints] !== undefined;
  const aps = items(facts, WIFI_FACT.accessPoints);
  const findings: PolicyFinding[] = [];
  const apFacts = [WIFI_FACT.accessPoints];
  const hostapdFacts = [WIFI_FACT.hostapdBss];

  if (config.ssids.length === 0 && hostapd.length === 0) {
    const message = "no office network is configured: set monitors.wifi.ssids (and bssids) to check it";
    return [
      { rule: "wifi.ssid_hidden", status: "unknown", message, facts: [] },
      { rule: "wifi.security", status: "unknown", message, facts: [] },
    ];
  }

  // Which of the scanned access points are ours: a listed BSSID showing our SSID or none (hidden),
  // or, when no BSSIDs are listed, any showing our SSID (then an evil twin cannot be told apart).
  const ours = (a: ApItem) =>
    config.bssids.length > 0 ? config.bssids.includes(a.id) && (a.hidden || config.ssids.includes(a.ssid)) : config.ssids.includes(a.ssid);
  const ourAps = aps.filter(ours);

  // Hidden SSID.
  if (!config.require_hidden) {
    findings.push({ rule: "wifi.ssid_hidden", status: "pass", message: "hiding the SSID is not required (require_hidden: false)", facts: [] });
  } else if (hostapd.length > 0) {
    const mine = hostapd.filter((b) => config.ssids.length === 0 || config.ssids.includes(b.ssid));
    const shown = mine.filter((b) => !b.hidden);
    findings.push(
      shown.length > 0
        ? {
            rule: "wifi.ssid_hidden",
            status: "fail",
            message: `hostapd broadcasts ${list(shown.map((b) => q(b.ssid)))} by name (${config.hostapd_conf ?? "hostapd.conf"}: ignore_broadcast_ssid=0): set ignore_broadcast_ssid=1 and restart hostapd`,
            facts: hostapdFacts,
          }
        : { rule: "wifi.ssid_hidden", status: "pass", message: `hostapd hides ${list(mine.map((b) => q(b.ssid))) || "the SSID"} (ignore_broadcast_ssid set)`, facts: hostapdFacts },
    );
  } else if (scanned) {
    const shown = ourAps.filter((a) => !a.hidden && config.ssids.includes(a.ssid));
    findings.push(
      shown.length > 0
        ? {
            rule: "wifi.ssid_hidden",
            status: "fail",
            message: `${list(shown.map((a) => q(a.ssid)))} is broadcast by name (by ${list(shown.map((a) => a.id))}): turn off SSID broadcast on the access point`,
            facts: apFacts,
          }
        : { rule: "wifi.ssid_hidden", status: "pass", message: `${list(config.ssids.map(q))} not seen broadcast by name`, facts: apFacts },
    );
  }

  // Security.
  const label = config.min_security.toUpperCase();
  if (hostapd.length > 0) {
    const mine = hostapd.filter((b) => config.ssids.length === 0 || config.ssids.includes(b.ssid));
    const weak = mine.filter((b) => !meets(b.level, config.min_security));
    findings.push(
      weak.length > 0
        ? {
            rule: "wifi.security",
            status: "fail",
            message: `hostapd runs ${weak.map((b) => `${q(b.ssid)} with ${LEVEL_LABEL[b.level]}`).join("; ")}, below ${label}: set wpa=2, wpa_key_mgmt=${config.min_security === "wpa3" ? "SAE" : "WPA-PSK (or SAE)"} and rsn_pairwise=CCMP`,
            facts: hostapdFacts,
          }
        : mine.length > 0
          ? { rule: "wifi.security", status: "pass", message: `hostapd: ${mine.map((b) => `${q(b.ssid)} ${LEVEL_LABEL[b.level]}`).join("; ")}`, facts: hostapdFacts }
          : { rule: "wifi.security", status: "unknown", message: `hostapd.conf configures none of ${list(config.ssids.map(q))}`, facts: hostapdFacts },
    );
  } else if (scanned) {
    const weak = ourAps.filter((a) => !meets(a.level, config.min_security));
    if (weak.length > 0) {
      findings.push({
        rule: "wifi.security",
        status: "fail",
        message: `${weak.map((a) => `${a.id}${a.ssid ? ` (${q(a.ssid)})` : " (hidden)"} uses ${LEVEL_LABEL[a.level]}`).join("; ")}, below ${label}: set the access point to ${config.min_security === "wpa3" ? "WPA3" : "WPA2-AES (CCMP) or WPA3"} only`,
        facts: apFacts,
      });
    } else if (ourAps.length > 0) {
      findings.push({ rule: "wifi.security", status: "pass", message: `${ourAps.length} of our access points seen, all ${label} or better`, facts: apFacts });
    } else {
      findings.push({
        rule: "wifi.security",
        status: "unknown",
        message:
          config.bssids.length > 0
            ? `none of our access points (${list([...config.bssids])}) was seen in the scan: are they on and in range?`
            : `${list(config.ssids.map(q))} was not seen by name (hidden) and no bssids are configured, so its security cannot be checked: list the access points in monitors.wifi.bssids`,
        facts: apFacts,
      });
    }
  }

  // Evil twin: our SSID from an access point that is not ours.
  if (config.bssids.length > 0 && scanned) {
    const twins = aps.filter((a) => config.ssids.includes(a.ssid) && !config.bssids.includes(a.id));
    findings.push(
      twins.length > 0
        ? {
            rule: "wifi.evil_twin",
            status: "fail",
            message: `${list(twins.map((a) => q(a.ssid)))} is broadcast by unknown access point${twins.length > 1 ? "s" : ""} ${list(twins.map((a) => a.id))}: possible evil twin; find it, or add it to monitors.wifi.bssids if it is yours`,
            facts: apFacts,
          }
        : { rule: "wifi.evil_twin", status: "pass", message: "no unknown access point uses our SSID", facts: apFacts },
    );
  }

  const unreadable = facts[WIFI_FACT.unreadableLines];
  if (typeof unreadable === "number") {
    findings.push(
      unreadable > 0
        ? {
            rule: "wifi.scan_unreadable",
            status: "warn",
            message: `${unreadable} line${unreadable > 1 ? "s" : ""} of the nmcli scan could not be read, so an access point may be missing from the checks`,
            facts: [WIFI_FACT.unreadableLines],
          }
        : { rule: "wifi.scan_unreadable", status: "pass", message: "every line of the scan was read", facts: [WIFI_FACT.unreadableLines] },
    );
  }
  return findings;
}
