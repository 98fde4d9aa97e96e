/**
 * A test monitor that reports the facts written in a JSON file, so agent tests can change what
 * is "observed" without touching the host. Policy: `file.enabled` must be true.
 */
import { z } from "zod";
import { parseWith } from "../../src/kit/config-schema.js";
import { defineMonitor, NotApplicable, ProbeError, type Facts } from "../../src/monitors/monitor.js";

export const fileMonitor = defineMonitor({
  id: "file",
  title: "Facts from a file",
  control: "firewall",
  defaultSchedule: "* * * * *",
  starter: "# file: { path: /tmp/facts.json }",
  enabledByDefault: false,
  parseConfig: (raw) => parseWith(z.strictObject({ path: z.string() }), raw),
  async probe(ctx, config) {
    let text: string;
    try {
      text = await ctx.readFile(config.path);
    } catch {
      throw new NotApplicable(`no file at ${config.path}`);
    }
    try {
      return { facts: JSON.parse(text) as Facts, evidence: text };
    } catch {
      throw new ProbeError(`${config.path} is not JSON`);
    }
  },
  policy(facts) {
    return [
      facts["file.enabled"] === true
        ? { rule: "file.enabled", status: "pass", message: "enabled", facts: ["file.enabled"] }
        : { rule: "file.enabled", status: "fail", message: "the thing is disabled", facts: ["file.enabled"] },
    ];
  },
  baselineFacts: ["file.rules"],
});
