/**
 * The Wi-Fi facts and their item format. List items are readable by people and read back by the
 * pure policy, so the format lives here, once: `BSSID LEVEL hidden|broadcast "SSID"`, with the
 * SSID last and JSON-quoted (SSIDs are attacker-controlled bytes; quoting keeps them data).
 */
import type { HostapdBss } from "./parse-hostapd-conf.js";
import type { WifiNetwork } from "./parse-nmcli.js";
import { hostapdSecurity, isLevel, scanSecurity, type SecurityLevel } from "./security.js";

/** Fact keys, stable (a renamed key needs a baseline migration). */
export const WIFI_FACT = {
  source: "wifi.source",
  interface: "wifi.interface",
  accessPoints: "wifi.access_points",
  networksSeen: "wifi.networks_seen",
  unreadableLines: "wifi.unreadable_lines",
  hostapdBss: "wifi.hostapd_bss",
} as const;

/** One access point or hostapd BSS, as the policy reads it. */
export interface ApItem {
  /** A BSSID for scanned access points, the interface name for hostapd BSSs. */
  id: string;
  level: SecurityLevel;
  hidden: boolean;
  ssid: string;
}

/** `BSSID LEVEL hidden|broadcast "SSID"`. */
export function formatApItem(i: ApItem): string {
  return `${i.id} ${i.level} ${i.hidden ? "hidden" : "broadcast"} ${JSON.stringify(i.ssid)}`;
}

/** Reads an item back; undefined when it is not in the format (a hand-edited baseline, say). */
export function parseApItem(s: string): ApItem | undefined {
  const m = /^(\S+) (\S+) (hidden|broadcast) (".*")$/.exec(s);
  if (!m || !isLevel(m[2]!)) return undefined;
  try {
    const ssid: unknown = JSON.parse(m[4]!);
    return typeof ssid === "string" ? { id: m[1]!, level: m[2] as SecurityLevel, hidden: m[3] === "hidden", ssid } : undefined;
  } catch {
    return undefined;
  }
}

/** A scanned AP as an item. nmcli shows a hidden network with an empty SSID. */
export function scanItem(n: WifiNetwork): ApItem {
  return { id: n.bssid, level: scanSecurity(n), hidden: n.ssid === "" || /^\0+$/.test(n.ssid), ssid: n.ssid };
}

/** A hostapd BSS as an item (ignore_broadcast_ssid 1 or 2 hides it). */
export function hostapdItem(b: HostapdBss): ApItem {
  return { id: b.iface || "(interface)", level: hostapdSecurity(b), hidden: b.ignoreBroadcastSsid !== 0, ssid: b.ssid ?? "" };
}

/**
 * The access points that concern us: those broadcasting one of our SSIDs (whoever runs them),
 * and those with one of our BSSIDs (which shows our hidden networks, SSID empty).
 */
export function relevantNetworks(networks: readonly WifiNetwork[], ssids: readonly string[], bssids: readonly string[]): WifiNetwork[] {
  return networks.filter((n) => ssids.includes(n.ssid) || bssids.includes(n.bssid));
}
