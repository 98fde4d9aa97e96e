/** Config parsing for tests: with the file monitor only, and the issues of a refused config as lines. */
import { ConfigError } from "../../src/kit/config-errors.js";
import { parseConfigText } from "../../src/agent/config/load.js";
import { fileMonitor } from "./file-monitor.js";

export const parse = (text: string) => parseConfigText(text, "/etc/gatehouse/gatehouse.yaml", [fileMonitor]);

/** The lines of the ConfigError `text` raises; throws when it parses. */
export function issuesOf(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split("\n");
    throw e;
  }
  throw new Error("expected a ConfigError");
}
