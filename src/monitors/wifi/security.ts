/**
 * One scale of Wi-Fi security for both sources (a scan seen from outside, hostapd.conf seen
 * from inside), so `min_security` means the same thing for both. The weakest mode a network
 * still accepts is what counts: WPA1/WPA2 mixed mode admits WPA1 and TKIP, so it rates as WPA1.
 */
import type { HostapdBss } from "./parse-hostapd-conf.js";
import type { WifiNetwork } from "./parse-nmcli.js";

/** Security levels, weakest first. */
export const SECURITY_LEVELS = ["open", "wep", "owe", "wpa1", "wpa2-tkip", "wpa2", "wpa3"] as const;
/** A level, or `unknown` when nmcli printed something unrecognized. */
export type SecurityLevel = (typeof SECURITY_LEVELS)[number] | "unknown";

const RANK: Record<SecurityLevel, number> = { unknown: -1, open: 0, wep: 1, owe: 1, wpa1: 2, "wpa2-tkip": 2, wpa2: 3, wpa3: 4 };

/** Human wording for messages. */
export const LEVEL_LABEL: Record<SecurityLevel, string> = {
  unknown: "unrecognized security",
  open: "no encryption (open)",
  wep: "WEP (broken)",
  owe: "OWE/Enhanced Open (encrypted, but anyone may join)",
  wpa1: "WPA1 (or WPA1/WPA2 mixed mode, which admits WPA1 and TKIP)",
  "wpa2-tkip": "WPA2 with TKIP allowed",
  wpa2: "WPA2",
  wpa3: "WPA3",
};

/** Does `level` meet `min` (`wpa2` or `wpa3`)? Unknown never does. */
export function meets(level: SecurityLevel, min: "wpa2" | "wpa3"): boolean {
  return level !== "unknown" && RANK[level] >= RANK[min];
}

/** Narrows a string read back from a fact item. */
export function isLevel(s: string): s is SecurityLevel {
  return s in RANK;
}

function flags(s: string): string[] {
  return s === "(none)" ? [] : s.split(/\s+/).filter(Boolean);
}

/** Rates a scanned access point from nmcli's SECURITY and WPA/RSN flag fields. */
export function scanSecurity(n: Pick<WifiNetwork, "security" | "security_flags">): SecurityLevel {
  const tokens = n.security.split(/\s+/).filter(Boolean);
  const wpa = flags(n.security_flags.wpa);
  const rsn = flags(n.security_flags.rsn);
  const known = new Set(["WEP", "WPA1", "WPA2", "WPA3", "OWE", "802.1X"]);
  if (tokens.some((t) => !known.has(t))) return "unknown";
  if (tokens.length === 0) return wpa.length === 0 && rsn.length === 0 ? "open" : "unknown";
  if (tokens.includes("WPA1")) return "wpa1";
  if (tokens.includes("WEP")) return "wep";
  if (tokens.includes("WPA2") || tokens.includes("WPA3")) {
    if (rsn.includes("pair_tkip") || rsn.includes("group_tkip")) return "wpa2-tkip";
    return tokens.includes("WPA2") ? "wpa2" : "wpa3";
  }
  if (tokens.includes("OWE")) return "owe";
  return "wep"; // "802.1X" alone: dynamic WEP
}

const WPA2_AKM = /^(WPA-PSK|WPA-EAP|WPA-PSK-SHA256|WPA-EAP-SHA256|FT-PSK|FT-EAP|FT-EAP-SHA384|FILS-SHA256|FILS-SHA384|FT-FILS-SHA256|FT-FILS-SHA384)$/;
const WPA3_AKM = /^(SAE|FT-SAE|WPA-EAP-SUITE-B|WPA-EAP-SUITE-B-192|SAE-EXT-KEY|FT-SAE-EXT-KEY)$/;

/** Rates a hostapd BSS from its effective settings (defaults already applied by the parser). */
export function hostapdSecurity(b: HostapdBss): SecurityLevel {
  if (b.wpa === 0) return b.wepKey ? "wep" : "open";
  if (b.wpa & 1) return "wpa1";
  if (b.keyMgmt.length > 0 && b.keyMgmt.every((k) => k === "OWE")) return "owe";
  if (b.rsnPairwise.includes("TKIP") || b.groupCipher === "TKIP") return "wpa2-tkip";
  if (b.keyMgmt.some((k) => WPA2_AKM.test(k))) return "wpa2";
  if (b.keyMgmt.length > 0 && b.keyMgmt.every((k) => WPA3_AKM.test(k) || k === "OWE")) return "wpa3";
  return "unknown";
}
