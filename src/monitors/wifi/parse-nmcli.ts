/**
 * Parsers for nmcli's terse (`-t`) output. In terse mode nmcli separates fields with `:` and
 * escapes `:` and `\` inside values with a backslash (nmcli(1), `--escape yes`, the default).
 * node-wifi splits lines on every `:`, which breaks SSIDs that contain one (and lets an SSID
 * that looks like a BSSID pose as one); these parsers honour the escaping instead.
 */
import { ProbeError } from "../monitor.js";

/** Splits one terse line into its values, undoing `\:` and `\\`. */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ":") {
      fields.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  return fields;
}

/**
 * One access point, in node-wifi's network shape (so it can stand in for node-wifi's own
 * parser), plus `active`.
 */
export interface WifiNetwork {
  /** The SSID exactly as nmcli printed it; empty for a hidden network. Attacker-controlled. */
  ssid: string;
  /** Upper-case `AA:BB:CC:DD:EE:FF`. */
  bssid: string;
  /** node-wifi's name for the BSSID (kept for compatibility). */
  mac: string;
  mode: string;
  channel: number | null;
  frequency: number | null;
  /** dBm, estimated from quality as node-wifi does (quality / 2 - 100). */
  signal_level: number | null;
  quality: number | null;
  /** nmcli's summary: `WPA2`, `WPA1 WPA2`, `WPA2 WPA3`, `WEP`, `OWE`, `` (open)… */
  security: string;
  security_flags: { wpa: string; rsn: string };
  /** This host is associated with it. */
  active: boolean;
}

/** The scan, parsed. */
export interface NmcliWifiList {
  networks: WifiNetwork[];
  /** 1-based numbers of lines that did not have the expected fields (never their content). */
  unreadableLines: number[];
}

const BSSID = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

function int(s: string | undefined): number | null {
  const m = /^\s*(-?\d+)/.exec(s ?? "");
  return m ? Number(m[1]) : null;
}

/**
 * Parses `nmcli --terse --fields FIELDS device wifi list`. `fields` is the comma-separated
 * field list the command was run with (node-wifi's by default).
 */
export function parseNmcliWifiList(text: string, fields: string): NmcliWifiList {
  const names = fields.split(",").map((f) => f.trim().toLowerCase());
  const idx = (n: string) => names.indexOf(n);
  for (const required of ["ssid", "bssid", "security"]) {
    if (idx(required) < 0) throw new ProbeError(`nmcli field list "${fields}" lacks ${required}`);
  }
  const networks: WifiNetwork[] = [];
  const unreadableLines: number[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const [i, line] of lines.entries()) {
    const v = splitTerse(line);
    const get = (n: string) => (idx(n) >= 0 ? v[idx(n)] : undefined);
    const bssid = (get("bssid") ?? "").toUpperCase();
    if (v.length !== names.length || !BSSID.test(bssid)) {
      unreadableLines.push(i + 1);
      continue;
    }
    const quality = int(get("signal"));
    networks.push({
      ssid: get("ssid") ?? "",
      bssid,
      mac: bssid,
      mode: get("mode") ?? "",
      channel: int(get("chan")),
      frequency: int(get("freq")),
      signal_level: quality === null ? null : quality / 2 - 100,
      quality,
      security: (get("security") ?? "").trim(),
      security_flags: { wpa: get("wpa-flags") ?? "", rsn: get("rsn-flags") ?? "" },
      active: get("active") === "yes",
    });
  }
  return { networks, unreadableLines };
}

/** One line of `nmcli -t -f DEVICE,TYPE device`. */
export interface NmcliDevice {
  device: string;
  type: string;
}

/** Parses `nmcli -t -f DEVICE,TYPE device`. Throws ProbeError on lines that are not two fields. */
export function parseNmcliDevices(text: string): NmcliDevice[] {
  const out: NmcliDevice[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const v = splitTerse(line);
    if (v.length !== 2 || v[0] === "") {
      throw new ProbeError(`nmcli -t -f DEVICE,TYPE device: line ${i + 1} is not "DEVICE:TYPE"`);
    }
    out.push({ device: v[0]!, type: v[1]! });
  }
  return out;
}
