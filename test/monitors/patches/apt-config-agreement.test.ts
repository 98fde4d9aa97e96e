/**
 * Checks the apt.conf parser against the real apt: for each fixture tree, apt-config (pointed at
 * the tree through APT_CONFIG) must agree on APT::Periodic::Unattended-Upgrade.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../../src/kit/exec.js";
import { aptReadsPart, parseAptConf, unattendedUpgradeEnabled } from "../../../src/monitors/patches/parse-apt-conf.js";
import { canRun } from "../../helpers/require-tool.js";

const DIR = join(import.meta.dirname, "../../fixtures/patches/apt.conf.d");
const tmp = mkdtempSync(join(tmpdir(), "gatehouse-aptconf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!canRun({ tools: ["apt-config"] }))("parseAptConf agrees with apt-config", () => {
  const trees = readdirSync(DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  it.each(trees)("%s", async (name) => {
    const main = join(tmp, `${name}.conf`);
    writeFileSync(main, `Dir::Etc::Parts "${join(DIR, name)}";\nDir::Etc::Main "/dev/null";\n`);
    const r = await run("apt-config", ["dump", "APT::Periodic::Unattended-Upgrade"], { env: { APT_CONFIG: main } });
    const real = /"(.*)";/.exec(r.stdout)?.[1];
    const options = new Map<string, string>();
    for (const f of readdirSync(join(DIR, name)).filter(aptReadsPart).sort()) {
      for (const [k, v] of parseAptConf(readFileSync(join(DIR, name, f), "utf8"))) options.set(k, v);
    }
    expect(options.get("apt::periodic::unattended-upgrade")).toBe(real);
    expect(unattendedUpgradeEnabled(options)).toBe(real !== undefined && real !== "0" && real !== "");
  });
});
