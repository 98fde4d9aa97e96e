/**
 * The posture queries Gatehouse hands to every enrolled computer, and the osquery config that
 * schedules them. One catalog serves both delivery paths: scheduled snapshots through the TLS
 * logger, and the same SQL through distributed read/write right after enrolment (so a new
 * computer is judged within seconds, not after its first interval).
 *
 * Tables and columns are osquery 5.x's (osquery.io/schema). `platform` is osquery's own
 * scheduling filter: a query for a table a platform lacks is never run there.
 */

/** osquery's platform names as they appear in `platform` filters and `os_version.platform`. */
export type HostPlatform = "windows" | "darwin" | "linux";

export interface PostureQuery {
  /** Stable name: the schedule key, the distributed query id prefix and the stored result key. */
  name: QueryName;
  platform: HostPlatform | "all";
  sql: string;
}

export const QUERY_NAMES = [
  "os_version",
  "win_security_center",
  "win_security_products",
  "win_bitlocker",
  "win_update_history",
  "win_admins",
  "win_inactivity_timeout",
  "mac_xprotect",
  "mac_gatekeeper",
  "mac_filevault",
  "mac_software_update",
  "mac_firewall",
  "mac_admins",
  "mac_screenlock",
  "linux_clamav_signatures",
  "linux_clamav_processes",
  "linux_luks_root",
  "linux_admins",
  "linux_firewall",
] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

const XPROTECT = "/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist";
const MRT = "/Library/Apple/System/Library/CoreServices/MRT.app/Contents/Info.plist";

/** The catalog, in the order the host page lists what it learned. */
export const POSTURE_QUERIES: readonly PostureQuery[] = [
  { name: "os_version", platform: "all", sql: "SELECT name, version, major, minor, patch, build, platform, codename FROM os_version;" },
  // Anti-virus, firewall and auto-update as Windows Security Center reports them ("Good", "Poor", "Snoozed", "Not Monitored").
  {
    name: "win_security_center",
    platform: "windows",
    sql: "SELECT antivirus, firewall, autoupdate, internet_settings, windows_security_center_service, user_account_control FROM windows_security_center;",
  },
  { name: "win_security_products", platform: "windows", sql: "SELECT type, name, state, signatures_up_to_date FROM windows_security_products;" },
  { name: "win_bitlocker", platform: "windows", sql: "SELECT drive_letter, conversion_status, protection_status, encryption_method FROM bitlocker_info;" },
  {
    name: "win_update_history",
    platform: "windows",
    sql: "SELECT date, title, result_code, update_id FROM windows_update_history WHERE result_code IN ('Succeeded', 'SucceededWithErrors') ORDER BY date DESC LIMIT 20;",
  },
  // Members of the local Administrators group by its well-known SID (the name is localized).
  {
    name: "win_admins",
    platform: "windows",
    sql: "SELECT u.username, u.uuid, u.type FROM user_groups ug JOIN users u ON u.uid = ug.uid JOIN groups g ON g.gid = ug.gid WHERE g.group_sid = 'S-1-5-32-544';",
  },
  // The machine inactivity limit (Interactive logon: Machine inactivity limit), in seconds.
  {
    name: "win_inactivity_timeout",
    platform: "windows",
    sql: "SELECT data FROM registry WHERE path = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\InactivityTimeoutSecs';",
  },
  // XProtect's signature version and when the bundle last changed; MRT where the release still has it.
  {
    name: "mac_xprotect",
    platform: "darwin",
    sql: `SELECT 'xprotect' AS engine, p.value AS version, f.mtime AS updated FROM plist p JOIN file f ON f.path = p.path WHERE p.path = '${XPROTECT}' AND p.key = 'CFBundleShortVersionString' UNION ALL SELECT 'mrt' AS engine, p.value AS version, f.mtime AS updated FROM plist p JOIN file f ON f.path = p.path WHERE p.path = '${MRT}' AND p.key = 'CFBundleShortVersionString';`,
  },
  { name: "mac_gatekeeper", platform: "darwin", sql: "SELECT assessments_enabled FROM gatekeeper;" },
  { name: "mac_filevault", platform: "darwin", sql: "SELECT de.encrypted, de.type, m.path FROM mounts m JOIN disk_encryption de ON de.name = m.device_alias WHERE m.path = '/';" },
  { name: "mac_software_update", platform: "darwin", sql: "SELECT software_update_required FROM software_update;" },
  { name: "mac_firewall", platform: "darwin", sql: "SELECT global_state FROM alf;" },
  {
    name: "mac_admins",
    platform: "darwin",
    sql: "SELECT u.username, u.uid FROM user_groups ug JOIN users u ON u.uid = ug.uid JOIN groups g ON g.gid = ug.gid WHERE g.groupname = 'admin' AND u.uid >= 500;",
  },
  { name: "mac_screenlock", platform: "darwin", sql: "SELECT enabled, grace_period FROM screenlock;" },
  {
    name: "linux_clamav_signatures",
    platform: "linux",
    sql: "SELECT path, mtime FROM file WHERE path IN ('/var/lib/clamav/daily.cld', '/var/lib/clamav/daily.cvd', '/var/lib/clamav/main.cvd', '/var/lib/clamav/main.cld');",
  },
  { name: "linux_clamav_processes", platform: "linux", sql: "SELECT name FROM processes WHERE name IN ('clamd', 'freshclam', 'clamonacc');" },
  { name: "linux_luks_root", platform: "linux", sql: "SELECT de.encrypted, de.type, m.path FROM mounts m JOIN disk_encryption de ON de.name = m.device_alias WHERE m.path = '/';" },
  {
    name: "linux_admins",
    platform: "linux",
    sql: "SELECT u.username, u.uid FROM user_groups ug JOIN users u ON u.uid = ug.uid JOIN groups g ON g.gid = ug.gid WHERE g.groupname IN ('sudo', 'wheel', 'admin') AND u.uid >= 1000;",
  },
  { name: "linux_firewall", platform: "linux", sql: "SELECT chain, policy, target FROM iptables WHERE filter_name = 'filter' AND chain = 'INPUT';" },
];

const BY_NAME = new Map(POSTURE_QUERIES.map((q) => [q.name, q]));

/** Whether `name` is one of the catalog's queries (results for anything else are dropped). */
export function isQueryName(name: string): name is QueryName {
  return BY_NAME.has(name as QueryName);
}

/** The catalog's queries that run on `platform` (every query when the platform is unknown). */
export function queriesFor(platform: HostPlatform | undefined): PostureQuery[] {
  return POSTURE_QUERIES.filter((q) => q.platform === "all" || platform === undefined || q.platform === platform);
}

/** The schedule key prefix: results come back named `gatehouse_<query>`. */
export const SCHEDULE_PREFIX = "gatehouse_";

/**
 * The osquery config answered on the config endpoint: every posture query as a snapshot (the
 * whole current state each run, so judging never reconstructs differentials), with osquery's
 * own platform filter. `distributed_interval` makes hosts ask for the first-run queries soon.
 */
export function osqueryConfig(intervalSeconds: number): Record<string, unknown> {
  const schedule: Record<string, unknown> = {};
  for (const q of POSTURE_QUERIES) {
    schedule[`${SCHEDULE_PREFIX}${q.name}`] = { query: q.sql, interval: intervalSeconds, snapshot: true, ...(q.platform === "all" ? {} : { platform: q.platform }) };
  }
  return {
    options: { distributed_interval: 60, schedule_splay_percent: 10 },
    schedule,
  };
}
