/**
 * The disk monitor for real, through the built CLI: `gatehouse check --monitor disk --json` in a
 * private mount namespace where the backup set's directory is a small tmpfs filled to 97%
 * (nothing is mounted on the host). Real df, real smartctl when installed (this box has no
 * SMART-capable device: quiet).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../../src/kit/exec.js";
import { canRun } from "../../helpers/require-tool.js";

const CLI = resolve(import.meta.dirname, "../../../dist/src/cli.js");

describe.runIf(canRun({ tools: ["unshare", "mount", "df", "dd", "sh"], root: true }))("disk monitor, real df on a nearly full backup file system", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-disk-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails the backup space, passes the data dir, and keeps SMART quiet without drives", async () => {
    if (!existsSync(CLI)) throw new Error("build first: npm run build (npm test does)");
    const backup = join(dir, "backup");
    mkdirSync(backup);
    const config = join(dir, "gatehouse.yaml");
    writeFileSync(config, ["site: disk test", "data_dir: ./data", "monitors:", `  backups: [ { name: nightly, path: ${backup}, max_age: 26h } ]`].join("\n"));
    // A fixed script; paths come in as positional parameters, never spliced into it.
    const script = 'mount -t tmpfs -o size=10m gh-disk-test "$1" && dd if=/dev/zero of="$1/fill" bs=1k count=9900 status=none && exec "$2" "$3" check --config "$4" --monitor disk --json';
    const r = await run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", backup, process.execPath, CLI, config], { okExitCodes: [0, 1, 2, 3], timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(2);
    const out = JSON.parse(r.stdout) as { monitors: { id: string; findings: { rule: string; status: string }[]; facts: Record<string, unknown> }[] };
    expect(out.monitors.map((m) => m.id)).toEqual(["disk"]);
    const mon = out.monitors[0]!;
    const rules = Object.fromEntries(mon.findings.map((f) => [f.rule, f.status]));
    expect(rules["disk.backup_space"]).toBe("fail");
    expect(rules["disk.data_space"]).toMatch(/^(pass|warn|fail)$/); // the test box's own disk: any verdict, but a verdict
    expect(mon.facts["disk.backup_lowest"]).toBe(`backup set nightly (${backup}) on ${backup}`);
    expect(mon.facts["disk.backup_free_percent"]).toBeLessThan(5);
    expect(["no_devices", "not_installed", "checked"]).toContain(mon.facts["disk.smart"]);
    if (mon.facts["disk.smart"] !== "checked") expect(rules["disk.smart_health"]).toBeUndefined();
  });
});
