/**
 * Parses hostapd.conf into what the Wi-Fi policy needs, per BSS (the interface's own, then one
 * per `bss=` section), applying hostapd 2.10's documented defaults (wpa_pairwise defaults to
 * TKIP and rsn_pairwise to wpa_pairwise, so `wpa=2` without `rsn_pairwise` is TKIP).
 * Secrets (wpa_passphrase, wpa_psk, sae_password, wep_key*) are never kept.
 */
import { ProbeError } from "../monitor.js";

/** One BSS's effective settings (hostapd's defaults applied). */
export interface HostapdBss {
  /** The interface (`interface=` for the first, `bss=` for the others). */
  iface: string;
  ssid: string | undefined;
  /** 0 = broadcast, 1 = empty SSID in beacons, 2 = zeroed SSID of the same length. */
  ignoreBroadcastSsid: number;
  /** Bit 0 = WPA, bit 1 = RSN (WPA2/WPA3). */
  wpa: number;
  /** Effective (defaults applied); empty when WPA is off. */
  keyMgmt: string[];
  /** Effective WPA1 pairwise ciphers; empty unless wpa has bit 0. */
  wpaPairwise: string[];
  /** Effective RSN pairwise ciphers; empty unless wpa has bit 1. */
  rsnPairwise: string[];
  /** The group cipher hostapd derives (CCMP only when every allowed pairwise cipher is CCMP/GCMP). */
  groupCipher: string | undefined;
  /** A static WEP key is configured (the key itself is not kept). */
  wepKey: boolean;
  /** 0 = no management frame protection, 1 = optional, 2 = required. */
  ieee80211w: number;
}

/** hostapd.conf, parsed. */
export interface HostapdConf {
  bss: HostapdBss[];
  /** 1-based numbers of lines that are not `key=value` (never their content: it may be a secret). */
  unreadableLines: number[];
}

const SECRET = /^(wpa_passphrase|wpa_psk|sae_password|wep_key\d|radius_server_secret|auth_server_shared_secret|acct_server_shared_secret|eap_user_file|wpa_psk_file|private_key_passwd.*)$/;

/** Decodes `ssid2`: `"quoted"`, hex, or `P"printf-escaped"` (hostapd's three formats). */
export function decodeSsid2(v: string): string | undefined {
  if (/^".*"$/s.test(v)) return v.slice(1, -1);
  if (/^P".*"$/s.test(v)) return unescapePrintf(v.slice(2, -1));
  if (/^([0-9a-fA-F]{2})+$/.test(v)) return Buffer.from(v, "hex").toString("utf8");
  return undefined;
}

function unescapePrintf(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\" || i + 1 >= s.length) {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const n = s[++i]!;
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, e: 27, "\\": 92, '"': 34 };
    if (n in simple) bytes.push(simple[n]!);
    else if (n === "x" && /^[0-9a-fA-F]{2}/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(n, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function words(v: string): string[] {
  return v.trim().split(/\s+/).filter(Boolean);
}

function blank(iface: string): Omit<HostapdBss, "groupCipher"> & { sets: Set<string> } {
  return {
    iface,
    ssid: undefined,
    ignoreBroadcastSsid: 0,
    wpa: 0,
    keyMgmt: ["WPA-PSK", "WPA-EAP"],
    wpaPairwise: ["TKIP"],
    rsnPairwise: [],
    wepKey: false,
    ieee80211w: 0,
    sets: new Set(),
  };
}

/** hostapd's automatic group cipher: CCMP/GCMP only when no pairwise cipher is TKIP. */
function groupCipher(b: { wpa: number; wpaPairwise: string[]; rsnPairwise: string[] }): string | undefined {
  if (b.wpa === 0) return undefined;
  const pairwise = [...(b.wpa & 1 ? b.wpaPairwise : []), ...(b.wpa & 2 ? b.rsnPairwise : [])];
  if (pairwise.includes("TKIP")) return "TKIP";
  if (pairwise.every((c) => c.startsWith("GCMP")) && pairwise.length > 0) return pairwise.includes("GCMP-256") ? "GCMP-256" : "GCMP";
  if (pairwise.includes("CCMP")) return "CCMP";
  return pairwise[0];
}

/** Parses hostapd.conf text. Throws ProbeError when no SSID is configured at all (not a hostapd.conf). */
export function parseHostapdConf(text: string): HostapdConf {
  const bss: ReturnType<typeof blank>[] = [];
  let cur = blank("");
  bss.push(cur);
  const unreadableLines: number[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      unreadableLines.push(i + 1);
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (SECRET.test(key)) {
      if (/^wep_key\d$/.test(key) && value.trim() !== "") cur.wepKey = true;
      continue;
    }
    switch (key) {
      case "interface":
        if (bss.length === 1) cur.iface = value.trim();
        break;
      case "bss":
        cur = blank(value.trim());
        bss.push(cur);
        break;
      case "ssid":
        cur.ssid = value;
        break;
      case "ssid2": {
        const s = decodeSsid2(value);
        if (s === undefined) unreadableLines.push(i + 1);
        else cur.ssid = s;
        break;
      }
      case "ignore_broadcast_ssid":
        cur.ignoreBroadcastSsid = Number.parseInt(value, 10) || 0;
        break;
      case "wpa":
        cur.wpa = Number.parseInt(value, 10) || 0;
        break;
      case "wpa_key_mgmt":
        cur.keyMgmt = words(value);
        break;
      case "wpa_pairwise":
        cur.wpaPairwise = words(value);
        break;
      case "rsn_pairwise":
        cur.rsnPairwise = words(value);
        cur.sets.add("rsn_pairwise");
        break;
      case "ieee80211w":
        cur.ieee80211w = Number.parseInt(value, 10) || 0;
        break;
    }
  }
  // Report the effective settings only for the protocols in use, as `hostapd_cli get_config` does.
  const out: HostapdBss[] = bss.map(({ sets, ...b }) => {
    const rsnPairwise = b.wpa & 2 ? (sets.has("rsn_pairwise") ? b.rsnPairwise : b.wpaPairwise) : [];
    const wpaPairwise = b.wpa & 1 ? b.wpaPairwise : [];
    const keyMgmt = b.wpa ? b.keyMgmt : [];
    return { ...b, keyMgmt, wpaPairwise, rsnPairwise, groupCipher: groupCipher({ wpa: b.wpa, wpaPairwise, rsnPairwise }) };
  });
  if (out.every((b) => b.ssid === undefined)) {
    throw new ProbeError("hostapd.conf sets no ssid (or ssid2): is this a hostapd configuration?");
  }
  return { bss: out, unreadableLines };
}
