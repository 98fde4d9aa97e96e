/**
 * A small shipped table of end-of-life dates: the last day the vendor publishes security
 * updates for a release through the archive the box already uses (Debian LTS counts, since it
 * ships through debian-security; Ubuntu ESM and RHEL ELS do not, since they need a contract).
 * Sources: wiki.debian.org/LTS, ubuntu.com/about/release-cycle, access.redhat.com/support/policy/updates/errata.
 * Review this table when a vendor announces a new release.
 */
import type { OsRelease } from "./parse-os-release.js";

interface EolEntry {
  ids: string[];
  /** Matched against VERSION_ID: the major number for Debian/RHEL, `YY.MM` for Ubuntu. */
  version: string;
  eol: string;
}

const TABLE: EolEntry[] = [
  { ids: ["debian"], version: "9", eol: "2022-06-30" },
  { ids: ["debian"], version: "10", eol: "2024-06-30" },
  { ids: ["debian"], version: "11", eol: "2026-08-31" },
  { ids: ["debian"], version: "12", eol: "2028-06-30" },
  { ids: ["debian"], version: "13", eol: "2030-06-30" },
  { ids: ["ubuntu"], version: "16.04", eol: "2021-04-30" },
  { ids: ["ubuntu"], version: "18.04", eol: "2023-05-31" },
  { ids: ["ubuntu"], version: "20.04", eol: "2025-05-31" },
  { ids: ["ubuntu"], version: "22.04", eol: "2027-04-30" },
  { ids: ["ubuntu"], version: "24.04", eol: "2029-04-30" },
  { ids: ["rhel", "rocky", "almalinux", "ol"], version: "7", eol: "2024-06-30" },
  { ids: ["rhel", "rocky", "almalinux", "ol"], version: "8", eol: "2029-05-31" },
  { ids: ["rhel", "rocky", "almalinux", "ol"], version: "9", eol: "2032-05-31" },
  { ids: ["rhel", "rocky", "almalinux", "ol"], version: "10", eol: "2035-05-31" },
  { ids: ["centos"], version: "7", eol: "2024-06-30" },
  { ids: ["centos"], version: "8", eol: "2024-05-31" },
  { ids: ["centos"], version: "9", eol: "2027-05-31" },
];

/** End-of-life date (YYYY-MM-DD) of a release, or null when the table does not know it. */
export function osEndOfLife(os: OsRelease): string | null {
  if (!os.versionId) return null;
  const v = os.versionId;
  for (const e of TABLE) {
    if (!e.ids.includes(os.id)) continue;
    const key = os.id === "ubuntu" ? v : v.split(".")[0];
    if (key === e.version) return e.eol;
  }
  return null;
}
