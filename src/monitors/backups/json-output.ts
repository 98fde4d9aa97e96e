/** Reading the `--json` output of restic and borg, which both parsers start with. */
import { ProbeError } from "../monitor.js";

/** Parses a command's JSON output; anything else is a ProbeError naming the command and how the output starts. */
export function parseJsonOutput(command: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProbeError(`${command}: output is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`);
  }
}
