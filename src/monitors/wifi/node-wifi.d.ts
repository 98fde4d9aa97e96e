/**
 * Types for the one node-wifi module Gatehouse uses directly: its Linux scan command builder,
 * so that the nmcli call (fields and their order) is exactly node-wifi's.
 */
declare module "node-wifi/src/linux/scan/command.js" {
  /** `{ cmd: "nmcli", args: ["--terse", "--fields", "active,ssid,…", "device", "wifi", "list", ("ifname", IFACE)?] }` */
  const command: (config: { iface: string | null }) => { cmd: string; args: string[] };
  export default command;
}
