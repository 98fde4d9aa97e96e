/**
 * What any host source hands the judge: one computer, when it last checked in, and the latest
 * rows of each posture query. The osquery TLS server builds it from its own tables; a Fleet API
 * reader would build the same shape from Fleet's host and query-report endpoints, and both then
 * reach the same findings through `recordHost` (record.ts).
 */
import type { HostRow } from "../store/hosts.js";
import type { HostPlatform, QueryName } from "./queries.js";

/** One result row: osquery sends every column as a string (numbers too, unless `numerics`). */
export type Row = Record<string, string>;

export interface QueryResult {
  rows: Row[];
  /** osquery's status for the run: 0 = ran; otherwise the SQLite error code (no such table…). */
  status: number;
  /** When Gatehouse received it (unix ms). */
  at: number;
}

export interface HostSnapshot {
  /** Stable id inside its source; the findings source is `host:<id>`. */
  id: string;
  /** What people call the computer (hostname). */
  name: string;
  platform: HostPlatform | undefined;
  /** Last contact of any kind (config poll, log post, distributed poll), unix ms. */
  lastSeenAt: number;
  results: Partial<Record<QueryName, QueryResult>>;
}

/** The findings source of a host. */
export const hostSource = (id: string | number): string => `host:${id}`;

/** osquery's platform string (os_version.platform, platform_info) → the catalog's platforms. */
export function platformOf(raw: string | undefined): HostPlatform | undefined {
  const p = (raw ?? "").toLowerCase();
  if (p === "windows") return "windows";
  if (p === "darwin") return "darwin";
  if (p === "") return undefined;
  // On Linux os_version.platform is the distribution id (ubuntu, debian, rhel, …).
  return /^[a-z][a-z0-9._-]*$/.test(p) && !/bsd|freebsd/.test(p) ? "linux" : undefined;
}

/** An enrolled host with its platform understood (the store keeps osquery's own string). */
export type Host = Omit<HostRow, "platform"> & { platform: HostPlatform | undefined };

/** The stored host as the hosts folder and the console see it. */
export const hostOf = (row: HostRow): Host => ({ ...row, platform: platformOf(row.platform) });
