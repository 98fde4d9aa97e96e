/**
 * Anti-virus engines commonly found on Linux servers, recognised by their install paths.
 * Only ClamAV's freshness can be read here; the others are reported as present with
 * `unknown` freshness (a vendor console owns that), never as a pass.
 */

export interface EngineMarker {
  id: string;
  name: string;
  /** Any of these paths existing (under the configured root) means the engine is installed. */
  paths: string[];
}

/** Known engines; `clamav` first because it is the one the monitor can fully check. */
export const ENGINES: readonly EngineMarker[] = [
  { id: "clamav", name: "ClamAV", paths: ["/usr/sbin/clamd", "/usr/bin/clamscan", "/usr/bin/freshclam"] },
  { id: "sophos", name: "Sophos Protection for Linux", paths: ["/opt/sophos-spl", "/opt/sophos-av"] },
  { id: "mdatp", name: "Microsoft Defender for Endpoint", paths: ["/opt/microsoft/mdatp", "/usr/bin/mdatp"] },
  { id: "eset", name: "ESET Server Security", paths: ["/opt/eset"] },
  { id: "crowdstrike", name: "CrowdStrike Falcon", paths: ["/opt/CrowdStrike"] },
  { id: "sentinelone", name: "SentinelOne", paths: ["/opt/sentinelone"] },
  { id: "trendmicro", name: "Trend Micro Deep Security", paths: ["/opt/ds_agent"] },
  { id: "trellix", name: "Trellix/McAfee Endpoint Security", paths: ["/opt/isec/ens", "/opt/McAfee"] },
  { id: "bitdefender", name: "Bitdefender GravityZone", paths: ["/opt/bitdefender-security-tools"] },
];
