/**
 * End of security support for the desktop releases office computers run, as osquery's
 * `os_version` reports them. Linux reuses the patches monitor's table.
 * Sources: learn.microsoft.com/lifecycle (Windows 10, Windows 11 release information: Home/Pro
 * get 24 months per feature update, Enterprise/Education 36). Apple publishes no dates: it
 * patches the current macOS and the two before it, so a release is counted unsupported from the
 * day its third successor shipped (dates of the September releases). Review when a vendor ships.
 */
import { osEndOfLife } from "../../monitors/patches/os-eol.js";
import type { Row } from "./snapshot.js";

/** Windows 11 feature updates by build: [Home/Pro end, Enterprise/Education end]. */
const WINDOWS_11: Record<string, [string, string]> = {
  "22000": ["2023-10-10", "2024-10-08"], // 21H2
  "22621": ["2024-10-08", "2025-10-14"], // 22H2
  "22631": ["2025-11-11", "2026-11-10"], // 23H2
  "26100": ["2026-10-13", "2027-10-12"], // 24H2
  "26200": ["2027-10-12", "2028-10-10"], // 25H2
};
const WINDOWS_10_END = "2025-10-14";

/** macOS major → the day its third successor shipped (end of Apple's patching). */
const MACOS: Record<string, string> = {
  "10": "2020-11-12", // treat every 10.x as unsupported (Catalina's third successor shipped then or earlier)
  "11": "2023-09-26",
  "12": "2024-09-16",
  "13": "2025-09-15",
  "14": "2026-09-14",
  // Not yet known: estimated as mid-September three years after release (review each September).
  "15": "2027-09-13",
  "26": "2028-09-11",
};

export interface EolAnswer {
  /** YYYY-MM-DD, or null when the table does not know this release. */
  eol: string | null;
  /** What was judged, e.g. "Windows 11 23H2 (build 22631) Pro". */
  release: string;
}

/** The end of support of the release in an `os_version` row. Pure. */
export function hostEndOfLife(os: Row): EolAnswer {
  const name = os.name ?? "";
  const platform = (os.platform ?? "").toLowerCase();
  const release = [name, os.version].filter(Boolean).join(" ").trim() || "unknown release";
  if (platform === "windows" || /windows/i.test(name)) {
    if (/server/i.test(name)) return { eol: null, release };
    const business = /enterprise|education/i.test(name);
    if (/windows 10/i.test(name)) return { eol: /ltsc|ltsb/i.test(name) ? null : WINDOWS_10_END, release };
    if (/windows 11/i.test(name)) {
      const build = (os.build ?? "").split(".")[0] ?? "";
      const row = WINDOWS_11[build];
      return { eol: row ? row[business ? 1 : 0] : null, release: `${release} (build ${build || "?"})` };
    }
    return { eol: null, release };
  }
  if (platform === "darwin") {
    const major = os.major ?? "";
    return { eol: MACOS[major] ?? (Number(major) < 10 && major !== "" ? "2020-11-12" : null), release };
  }
  // Linux: the platform column is the os-release ID (debian, ubuntu, rhel, …).
  const major = os.major ?? "";
  if (!major) return { eol: null, release };
  const versionId = platform === "ubuntu" ? `${major}.${(os.minor ?? "0").padStart(2, "0")}` : major;
  return { eol: osEndOfLife({ id: platform, idLike: [], versionId, versionCodename: null, prettyName: release }), release };
}
