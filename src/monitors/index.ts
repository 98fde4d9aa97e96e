/**
 * The explicit list of all monitors. Adding a monitor means one folder and one line here.
 */
import type { Monitor } from "./monitor.js";
import { patches } from "./patches/index.js";
import { antivirus } from "./antivirus/index.js";
import { inventory } from "./inventory/index.js";
import { firewall } from "./firewall/index.js";
import { wifi } from "./wifi/index.js";
import { backups } from "./backups/index.js";
import { accounts } from "./accounts/index.js";
import { tls } from "./tls/index.js";
import { disk } from "./disk/index.js";

export const MONITORS: readonly Monitor<any>[] = [
  patches,
  antivirus,
  inventory,
  firewall,
  wifi,
  backups,
  accounts,
  tls,
  disk,
  // one line per monitor, e.g. firewall,
];

/** Looks monitors up by id; duplicate ids are a programming error caught at start-up. */
export function monitorRegistry(list: readonly Monitor<any>[] = MONITORS): Map<string, Monitor<any>> {
  const byId = new Map<string, Monitor<any>>();
  for (const m of list) {
    if (byId.has(m.id)) throw new Error(`duplicate monitor id "${m.id}"`);
    if (!/^[a-z][a-z0-9_]*$/.test(m.id)) throw new Error(`monitor id "${m.id}" must be lower snake case`);
    byId.set(m.id, m);
  }
  return byId;
}
