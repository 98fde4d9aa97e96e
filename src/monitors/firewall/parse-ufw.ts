/**
 * Parsers for ufw's own view: `/etc/ufw/ufw.conf` (whether ufw loads at boot) and
 * `ufw status verbose` (its rules in ufw syntax, which is what the admin typed).
 */
import { ProbeError } from "../monitor.js";

/** What /etc/ufw/ufw.conf says. */
export interface UfwConf {
  /** ENABLED=yes|no; undefined when the file does not say. */
  enabled: boolean | undefined;
  logLevel: string | undefined;
}

/** Parses ufw.conf (shell-style KEY=value lines). Never throws: unknown content says nothing. */
export function parseUfwConf(text: string): UfwConf {
  const values = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*?)\s*$/.exec(raw);
    if (!m) continue;
    values.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, "$2"));
  }
  const enabled = values.get("ENABLED")?.toLowerCase();
  return {
    enabled: enabled === "yes" ? true : enabled === "no" ? false : undefined,
    logLevel: values.get("LOGLEVEL"),
  };
}

/** What `ufw status verbose` says. */
export interface UfwStatus {
  active: boolean;
  /** `Default: deny (incoming), allow (outgoing), disabled (routed)` as a map. */
  defaults: Record<string, string>;
  logging: string | undefined;
  /** One line per rule, columns joined by single spaces: `22/tcp ALLOW IN Anywhere`. */
  rules: string[];
}

const ACTION = /^(.+?)\s+((?:ALLOW|DENY|REJECT|LIMIT)(?: (?:IN|OUT|FWD))?(?: \(log(?:-all)?\))?)\s+(.+?)\s*$/;

/** Parses `ufw status verbose`; throws ProbeError when the text is not ufw's status output. */
export function parseUfwStatus(text: string): UfwStatus {
  const lines = text.split("\n");
  const statusLine = lines.find((l) => l.startsWith("Status: "));
  if (!statusLine) throw new ProbeError(`ufw status verbose printed no "Status:" line: "${text.trim().slice(0, 80)}"`);
  const status = statusLine.slice("Status: ".length).trim();
  if (status !== "active" && status !== "inactive") throw new ProbeError(`ufw status verbose: unexpected status "${status.slice(0, 40)}"`);
  const defaults: Record<string, string> = {};
  let logging: string | undefined;
  const rules: string[] = [];
  let inTable = false;
  for (const line of lines) {
    if (line.startsWith("Default: ")) {
      for (const part of line.slice("Default: ".length).split(",")) {
        const m = /^\s*(\S+) \(([^)]+)\)\s*$/.exec(part);
        if (m) defaults[m[2]!] = m[1]!;
      }
    } else if (line.startsWith("Logging: ")) {
      logging = line.slice("Logging: ".length).trim();
    } else if (/^--\s+------\s+----/.test(line)) {
      inTable = true;
    } else if (inTable && line.trim() !== "") {
      const m = ACTION.exec(line);
      if (!m) throw new ProbeError(`ufw status verbose: unreadable rule line "${line.trim().slice(0, 80)}"`);
      rules.push(`${squash(m[1]!)} ${m[2]} ${squash(m[3]!)}`);
    }
  }
  return { active: status === "active", defaults, logging, rules };
}

function squash(s: string): string {
  return s.trim().replace(/\s+/g, " ");
}
