/**
 * Parses `sigtool --info <file>` for a ClamAV signature database (.cvd/.cld). sigtool prints
 * the header even when it then fails signature verification (exit 1), so the header fields
 * are read regardless and `verified` says whether "Verification OK." followed.
 */
import { ProbeError } from "../monitor.js";

export interface SigtoolInfo {
  file: string;
  /** Build time in UTC, ISO 8601. */
  buildTime: string;
  version: number;
  signatures: number;
  functionalityLevel: number;
  builder: string;
  verified: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `16 Sep 2021 14:32 -0400` (sigtool prints the header's `14-32` with a colon) → ISO UTC. */
export function parseCvdTime(text: string): string | undefined {
  const m = /^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2})[:-](\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return undefined;
  const offsetMin = (m[6] === "-" ? -1 : 1) * (Number(m[7]) * 60 + Number(m[8]));
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5])) - offsetMin * 60_000;
  return Number.isNaN(utc) ? undefined : new Date(utc).toISOString();
}

/** Throws ProbeError when the text is not sigtool's database header listing. */
export function parseSigtoolInfo(text: string): SigtoolInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z ]*): (.*)$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!.trim());
  }
  const file = fields.get("File");
  if (!file) throw new ProbeError("sigtool --info printed no database header (not a ClamAV .cvd/.cld file?)");
  const buildTime = parseCvdTime(fields.get("Build time") ?? "");
  if (!buildTime) throw new ProbeError(`sigtool --info ${file}: unreadable build time ${JSON.stringify(fields.get("Build time") ?? "")}`);
  const int = (key: string): number => {
    const v = fields.get(key);
    if (v === undefined || !/^\d+$/.test(v)) throw new ProbeError(`sigtool --info ${file}: missing or bad "${key}"`);
    return Number(v);
  };
  return {
    file,
    buildTime,
    version: int("Version"),
    signatures: int("Signatures"),
    functionalityLevel: int("Functionality level"),
    builder: fields.get("Builder") ?? "",
    verified: /^Verification OK\.$/m.test(text),
  };
}
