/**
 * Child-process entry of the inventory monitor: asks systeminformation for the six answers and
 * prints them as one JSON object. It runs apart from the daemon because systeminformation blocks
 * the event loop with synchronous helpers (about 1.2 s per run, stalling the console and door
 * inputs) and keeps ~10 MiB resident once loaded.
 */
import si from "systeminformation";
import { snapshot, type SystemInfoSource } from "./system-info.js";

const source: SystemInfoSource = {
  osInfo: () => si.osInfo(),
  cpu: () => si.cpu(),
  mem: () => si.mem(),
  diskLayout: () => si.diskLayout(),
  blockDevices: () => si.blockDevices(),
  networkInterfaces: async () => {
    const n = await si.networkInterfaces();
    return Array.isArray(n) ? n : [n];
  },
};

process.stdout.write(JSON.stringify(await snapshot(source)));
