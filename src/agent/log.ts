/**
 * Structured JSON logs (pino) to stdout for the journal, with secrets redacted by key name.
 */
import { pino } from "pino";
import type { Logger } from "../monitors/monitor.js";

export const REDACT_PATHS = ["password", "pass", "secret", "token", "cookie", "authorization", "*.password", "*.pass", "*.secret", "*.token", "*.cookie", "*.authorization"];

/** The process logger. `GATEHOUSE_LOG_LEVEL` overrides the level (default info). */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger & { child(b: object): Logger } {
  const level = opts.level ?? process.env.GATEHOUSE_LOG_LEVEL ?? "info";
  return pino({ level, base: { app: "gatehouse" }, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, (opts.destination ?? process.stdout) as pino.DestinationStream);
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
