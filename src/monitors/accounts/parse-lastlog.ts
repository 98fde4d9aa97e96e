/**
 * Pure parser for the output of shadow-utils `lastlog` (Debian 12: login 1:4.13).
 */

export interface LastLogin {
  name: string;
  /** ISO 8601 UTC, or null for "**Never logged in**". */
  latest: string | null;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// lastlog prints `%a %b %e %H:%M:%S %z %Y`; the zone offset makes it unambiguous.
const DATE = /([A-Z][a-z]{2}) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d) (\d{4})\s*$/;

/** Parses `lastlog` output; lines it cannot read are listed in `problems`, never guessed. */
export function parseLastlog(text: string): { logins: LastLogin[]; problems: string[] } {
  const logins: LastLogin[] = [];
  const problems: string[] = [];
  const rows = text.split("\n").map((l) => l.replace(/\r$/, ""));
  rows.forEach((line, i) => {
    if (line.trim() === "" || (i === 0 && /^Username\s+Port/.test(line))) return;
    const name = line.split(/\s+/)[0] ?? "";
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/.test(name)) {
      problems.push(`lastlog line ${i + 1}: no user name`);
      return;
    }
    if (line.includes("**Never logged in**")) {
      logins.push({ name, latest: null });
      return;
    }
    const m = DATE.exec(line);
    const month = m ? MONTHS.indexOf(m[2]!) : -1;
    if (!m || month < 0) {
      problems.push(`lastlog line ${i + 1}: no date for ${name}`);
      return;
    }
    const offsetMin = (m[7] === "-" ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
    const local = Date.UTC(Number(m[10]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    logins.push({ name, latest: new Date(local - offsetMin * 60_000).toISOString() });
  });
  return { logins, problems };
}
