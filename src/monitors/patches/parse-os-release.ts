/**
 * Parses /etc/os-release (os-release(5)): shell-style `KEY=value` lines, values optionally
 * quoted with backslash escapes. Only the fields the monitor needs are returned.
 */
import { ProbeError } from "../monitor.js";

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string | null;
  versionCodename: string | null;
  prettyName: string;
}

function unquote(raw: string): string {
  const v = raw.trim();
  const q = v[0];
  if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
    const inner = v.slice(1, -1);
    return q === '"' ? inner.replace(/\\([\\$"`])/g, "$1") : inner;
  }
  return v;
}

/** Throws ProbeError when the text holds no `KEY=value` assignment at all. */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, unquote(m[2]!));
  }
  if (fields.size === 0) throw new ProbeError("os-release has no KEY=value lines");
  // os-release(5): ID defaults to "linux", PRETTY_NAME to "Linux".
  const id = (fields.get("ID") ?? "linux").toLowerCase();
  return {
    id,
    idLike: (fields.get("ID_LIKE") ?? "").split(/\s+/).filter((s) => s.length > 0),
    versionId: fields.get("VERSION_ID") ?? null,
    versionCodename: fields.get("VERSION_CODENAME") ?? null,
    prettyName: fields.get("PRETTY_NAME") ?? fields.get("NAME") ?? "Linux",
  };
}
