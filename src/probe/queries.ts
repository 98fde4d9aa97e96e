/**
 * The fixed allow-list of read-only queries `gatehouse-probe` answers, by NAME. Nothing a client
 * sends ever reaches a command line: commands and their arguments are constants here, and the
 * one parameterised name (`sudoers.d/<name>`) is checked against a strict pattern and resolved
 * under the sudoers.d directory only.
 */
import { join } from "node:path";

export type Query =
  | { kind: "file"; path: string }
  | { kind: "dir"; path: string }
  | { kind: "command"; cmd: string; args: readonly string[] }
  | { kind: "stream"; cmd: string; args: readonly string[] };

/** Commands that read a firewall ruleset (they need CAP_NET_ADMIN). */
export const COMMAND_QUERIES = {
  "nft-ruleset": { cmd: "nft", args: ["-j", "list", "ruleset"] },
  "nft-ruleset-text": { cmd: "nft", args: ["list", "ruleset"] },
  "iptables-save": { cmd: "iptables-save", args: [] },
  "ip6tables-save": { cmd: "ip6tables-save", args: [] },
  "iptables-legacy-save": { cmd: "iptables-legacy-save", args: [] },
  "ip6tables-legacy-save": { cmd: "ip6tables-legacy-save", args: [] },
  "iptables-nft-save": { cmd: "iptables-nft-save", args: [] },
  "ip6tables-nft-save": { cmd: "ip6tables-nft-save", args: [] },
  "ufw-status": { cmd: "ufw", args: ["status", "verbose"] },
  // firewalld answers over D-Bus; zone listings (`--list-all --zone=X`) carry a parameter and go
  // through the daemon's own rights (the fallback), as firewalld's read-only "info" calls allow.
  "firewalld-state": { cmd: "firewall-cmd", args: ["--state"] },
  "firewalld-default-zone": { cmd: "firewall-cmd", args: ["--get-default-zone"] },
  "firewalld-active-zones": { cmd: "firewall-cmd", args: ["--get-active-zones"] },
} as const satisfies Record<string, { cmd: string; args: readonly string[] }>;

/** Long-running commands streamed line by line (`nft monitor` needs CAP_NET_ADMIN too). */
export const STREAM_QUERIES = {
  "nft-monitor": { cmd: "nft", args: ["monitor", "ruleset"] },
} as const satisfies Record<string, { cmd: string; args: readonly string[] }>;

/** Root-only files (relative to the etc root), read with CAP_DAC_READ_SEARCH. */
export const FILE_QUERIES = {
  shadow: "shadow",
  gshadow: "gshadow",
  sudoers: "sudoers",
} as const satisfies Record<string, string>;

export const SUDOERS_D = "sudoers.d";

/**
 * A file name sudo itself would read from sudoers.d: no slash, no leading dot (sudo skips
 * those, and it rules out `..`), no trailing `~`, at most 100 characters.
 */
export const SUDOERS_D_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/;

export type QueryName = keyof typeof COMMAND_QUERIES | keyof typeof STREAM_QUERIES | keyof typeof FILE_QUERIES | typeof SUDOERS_D | `${typeof SUDOERS_D}/${string}`;

/** Every fixed query name (for help text and tests). */
export const QUERY_NAMES: readonly string[] = [...Object.keys(COMMAND_QUERIES), ...Object.keys(STREAM_QUERIES), ...Object.keys(FILE_QUERIES), SUDOERS_D, `${SUDOERS_D}/<name>`];

/** Maps a query name onto what to read; undefined for anything outside the allow-list. */
export function resolveQuery(name: string, etcDir = "/etc"): Query | undefined {
  if (typeof name !== "string" || name.length > 200) return undefined;
  if (Object.hasOwn(COMMAND_QUERIES, name)) {
    const q = COMMAND_QUERIES[name as keyof typeof COMMAND_QUERIES];
    return { kind: "command", cmd: q.cmd, args: q.args };
  }
  if (Object.hasOwn(STREAM_QUERIES, name)) {
    const q = STREAM_QUERIES[name as keyof typeof STREAM_QUERIES];
    return { kind: "stream", cmd: q.cmd, args: q.args };
  }
  if (Object.hasOwn(FILE_QUERIES, name)) return { kind: "file", path: join(etcDir, FILE_QUERIES[name as keyof typeof FILE_QUERIES]) };
  if (name === SUDOERS_D) return { kind: "dir", path: join(etcDir, SUDOERS_D) };
  if (name.startsWith(`${SUDOERS_D}/`)) {
    const file = name.slice(SUDOERS_D.length + 1);
    if (!SUDOERS_D_NAME.test(file) || file.endsWith("~")) return undefined;
    return { kind: "file", path: join(etcDir, SUDOERS_D, file) };
  }
  return undefined;
}
