/**
 * Structured JSON logs (pino) to stdout for the journal. Secrets are redacted by key name at
 * any depth (pino's own `redact` paths only reach fixed depths).
 */
import { pino } from "pino";

/**
 * What every part logs through: pino's shape (an object and/or a message), so a monitor, the
 * probe or a test can be handed the process logger, a child of it, or nullLogger.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Keys whose values never reach a log line, wherever they sit in the logged object. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|cookie|authorization|session_?id|totp|recovery|api_?key/i;
const CENSOR = "[redacted]";

/** A copy of `value` with every secret-named key's value replaced (cycles and depth bounded). */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > 8 || seen.has(value)) return "[…]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1, seen));
  if (value instanceof Error) return { type: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? CENSOR : redactSecrets(v, depth + 1, seen);
  return out;
}

/** syslog priority of each pino level (trace/debug → debug … fatal → crit). */
const SYSLOG_PRIORITY: Record<string, number> = { "10": 7, "20": 7, "30": 6, "40": 4, "50": 3, "60": 2 };

/**
 * A line prefixed with its syslog priority (`<4>{"level":40,…}`): journald reads the prefix from
 * a service's stdout, so `journalctl -p warning` shows warnings and worse.
 */
export function withSyslogPrefix(line: string): string {
  const level = /^\{"level":(\d+)/.exec(line)?.[1];
  return `<${(level && SYSLOG_PRIORITY[level]) ?? 6}>${line}`;
}

/**
 * The process logger. `GATEHOUSE_LOG_LEVEL` overrides the level (default info). Under systemd
 * (stdout connected to the journal: `JOURNAL_STREAM` is set) each line carries its priority.
 */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream; journal?: boolean } = {}): Logger & { child(b: object): Logger } {
  const level = opts.level ?? process.env.GATEHOUSE_LOG_LEVEL ?? "info";
  const journal = opts.journal ?? (process.env.JOURNAL_STREAM !== undefined && opts.destination === undefined);
  return pino(
    {
      level,
      base: { app: "gatehouse" },
      formatters: { log: (obj) => redactSecrets(obj) as Record<string, unknown> },
      ...(journal ? { hooks: { streamWrite: withSyslogPrefix } } : {}),
    },
    (opts.destination ?? process.stdout) as pino.DestinationStream,
  );
}

/** A logger that drops everything (CLI commands that print their own output). */
export const nullLogger: Logger & { child(b: object): Logger } = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};
