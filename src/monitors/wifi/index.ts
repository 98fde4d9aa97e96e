/**
 * The `wifi` monitor: is the office Wi-Fi encrypted (WPA2/WPA3) and its SSID hidden, and is
 * anyone else broadcasting it? Scans with nmcli through node-wifi's own command (parsed here,
 * see README), and reads hostapd.conf when the box is the access point. Only observes.
 */
import nodeWifiScanCommand from "node-wifi/src/linux/scan/command.js";
import { z } from "zod";
import { CommandError, CommandNotFound } from "../../kit/exec.js";
import { parseWith } from "../../kit/config-schema.js";
import { defineMonitor, NotApplicable, ProbeError, type Facts, type ProbeContext } from "../monitor.js";
import { formatApItem, hostapdItem, relevantNetworks, scanItem, WIFI_FACT } from "./facts.js";
import { parseHostapdConf, type HostapdConf } from "./parse-hostapd-conf.js";
import { parseNmcliDevices, parseNmcliWifiList, type NmcliWifiList } from "./parse-nmcli.js";
import { wifiPolicy } from "./policy.js";
import { LEVEL_LABEL, hostapdSecurity } from "./security.js";

const ssid = () =>
  z.string().refine((s) => s.length > 0 && Buffer.byteLength(s, "utf8") <= 32, { message: "an SSID is 1 to 32 bytes" });
const bssid = () =>
  z
    .string()
    .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/, { message: "expected a BSSID like AA:BB:CC:DD:EE:FF" })
    .transform((s) => s.toUpperCase());

const configSchema = z.strictObject({
  ssids: z.array(ssid()).default([]),
  bssids: z.array(bssid()).default([]),
  require_hidden: z.boolean().default(true),
  min_security: z.enum(["wpa2", "wpa3"]).default("wpa2"),
  hostapd_conf: z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path to hostapd.conf" }).optional(),
  interface: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, { message: "expected a network interface name like wlan0" }).optional(),
});

/** `monitors.wifi` (the agent strips `schedule` before this sees it). */
export type WifiConfig = z.output<typeof configSchema>;

/** `nmcli -t -f DEVICE,TYPE device`: is there a Wi-Fi device at all? */
export const NMCLI_DEVICES = ["nmcli", "-t", "-f", "DEVICE,TYPE", "device"] as const;

/** node-wifi's scan command (`nmcli --terse --fields active,ssid,… device wifi list [ifname X]`). */
export function scanCommand(iface: string | undefined): { cmd: string; args: string[]; fields: string } {
  const { cmd, args } = nodeWifiScanCommand({ iface: iface ?? null });
  const fields = args[args.indexOf("--fields") + 1];
  if (!fields) throw new Error("node-wifi's scan command has no --fields argument");
  return { cmd, args, fields };
}

interface Scan {
  device: string;
  list: NmcliWifiList;
}

/** Runs the scan; NotApplicable when there is no Wi-Fi to scan with (reason given). */
async function scan(ctx: ProbeContext, config: WifiConfig): Promise<Scan> {
  let devicesText: string;
  try {
    devicesText = (await ctx.run(NMCLI_DEVICES[0], NMCLI_DEVICES.slice(1), { signal: ctx.signal })).stdout;
  } catch (e) {
    if (e instanceof CommandNotFound) throw new NotApplicable("nmcli (NetworkManager) is not installed, so there is no Wi-Fi to check");
    if (e instanceof CommandError) throw new NotApplicable(`nmcli cannot list devices (${e.message}): NetworkManager is not running, so there is no Wi-Fi to check`);
    throw e;
  }
  const wifi = parseNmcliDevices(devicesText).filter((d) => d.type === "wifi");
  const device = config.interface ? wifi.find((d) => d.device === config.interface) : wifi[0];
  if (!device) {
    throw new NotApplicable(config.interface ? `${config.interface} is not a Wi-Fi device NetworkManager knows` : "no Wi-Fi device on this host");
  }
  const cmd = scanCommand(config.interface);
  let listText: string;
  try {
    listText = (await ctx.run(cmd.cmd, cmd.args, { signal: ctx.signal })).stdout;
  } catch (e) {
    if (e instanceof CommandError) throw new ProbeError(`Wi-Fi scan on ${device.device} failed: ${e.message}`);
    throw e;
  }
  return { device: device.device, list: parseNmcliWifiList(listText, cmd.fields) };
}

async function readHostapd(ctx: ProbeContext, path: string): Promise<HostapdConf> {
  let text: string;
  try {
    text = await ctx.readFile(path);
  } catch (e) {
    throw new ProbeError(`cannot read ${path} (monitors.wifi.hostapd_conf): ${(e as Error).message}`);
  }
  return parseHostapdConf(text);
}

/** The Wi-Fi monitor definition (registered in src/monitors/index.ts). */
export const wifi = defineMonitor<WifiConfig>({
  id: "wifi",
  title: "Office Wi-Fi",
  control: "wifi",
  defaultSchedule: "*/15 * * * *",
  starter: "# wifi:     { ssids: [\"OfficeStaff\"], bssids: [], require_hidden: true, min_security: wpa2 }",
  enabledByDefault: true,
  parseConfig: (raw) => parseWith(configSchema, raw ?? {}),
  async probe(ctx, config) {
    const hostapd = config.hostapd_conf ? await readHostapd(ctx, config.hostapd_conf) : undefined;
    let s: Scan | undefined;
    let scanNote: string | undefined;
    try {
      s = await scan(ctx, config);
    } catch (e) {
      // When the box is the access point, hostapd.conf answers alone; the scan only adds the
      // evil-twin check, and a radio in AP mode often cannot scan.
      if (!hostapd || !(e instanceof NotApplicable || e instanceof ProbeError)) throw e;
      scanNote = `no scan: ${e.message}`;
    }
    const facts: Facts = { [WIFI_FACT.source]: hostapd && s ? "hostapd+scan" : hostapd ? "hostapd" : "scan" };
    const evidence: string[] = [];
    if (hostapd) {
      facts[WIFI_FACT.hostapdBss] = hostapd.bss.map((b) => formatApItem(hostapdItem(b)));
      for (const b of hostapd.bss) {
        evidence.push(
          `hostapd ${b.iface || "(interface)"}: ${JSON.stringify(b.ssid ?? "")} ${LEVEL_LABEL[hostapdSecurity(b)]}, ignore_broadcast_ssid=${b.ignoreBroadcastSsid}, wpa=${b.wpa}, wpa_key_mgmt=${b.keyMgmt.join(" ")}, rsn_pairwise=${b.rsnPairwise.join(" ")}`,
        );
      }
      if (hostapd.unreadableLines.length) evidence.push(`hostapd.conf: unreadable lines ${hostapd.unreadableLines.join(", ")}`);
    }
    if (s) {
      const relevant = relevantNetworks(s.list.networks, config.ssids, config.bssids);
      facts[WIFI_FACT.interface] = s.device;
      facts[WIFI_FACT.accessPoints] = relevant.map((n) => formatApItem(scanItem(n))).sort();
      facts[WIFI_FACT.networksSeen] = s.list.networks.length;
      facts[WIFI_FACT.unreadableLines] = s.list.unreadableLines.length;
      evidence.push(`scan on ${s.device}: ${s.list.networks.length} access points, ${relevant.length} with our SSIDs or BSSIDs`);
      for (const n of relevant) {
        evidence.push(`  ${n.bssid} ch ${n.channel ?? "?"} signal ${n.quality ?? "?"} ${JSON.stringify(n.ssid)} ${n.security || "open"} wpa=[${n.security_flags.wpa}] rsn=[${n.security_flags.rsn}]`);
      }
      if (s.list.unreadableLines.length) evidence.push(`unreadable scan lines: ${s.list.unreadableLines.join(", ")}`);
    }
    if (scanNote) evidence.push(scanNote);
    const text = evidence.join("\n");
    return { facts, evidence: text.length > 4000 ? `${text.slice(0, 4000)}…` : text };
  },
  policy: (facts, config) => wifiPolicy(facts, config),
  // Scan results come and go with radio conditions; the access point's own configuration does not.
  baselineFacts: [WIFI_FACT.hostapdBss],
});
