/**
 * What the docs show a user must be true: the full example in docs/configuration.md is a valid
 * config, and README opens with the two commands a newcomer types.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";

const REPO = resolve(import.meta.dirname, "../..");

describe("docs", () => {
  it("the full example in docs/configuration.md validates", () => {
    const doc = readFileSync(join(REPO, "docs/configuration.md"), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(yaml).toBeDefined();
    const config = parseConfigText(yaml!, "/etc/gatehouse/gatehouse.yaml");
    expect(config.site).toBe("Acme Answering — Phoenix");
    expect(config.doors.sensors.map((s) => s.id)).toEqual(["server-room", "back-door", "lobby"]);
  });

  it("README opens with the demo and the test command, and needs nothing outside the repository", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(first).toMatch(/^npm install && npm start/m);
    expect(first).toMatch(/^npm test/m);
    expect(readme).not.toMatch(/\.\.\/shared\//);
  });
});
