/**
 * `gatehouse check` run from cron records and queues notifications but does not send mail: it
 * says so on stderr (stdout stays the table or JSON), once per change, never when nothing new was queued.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireBuild } from "../helpers/build.js";

function check(cli: string, config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, "check", "--config", config, "--monitor", "backups", "--json"], { env: { ...process.env, USER: "cron" } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("gatehouse check from cron", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-check-queued-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("says that notifications were queued for the daemon, and only when some were", async () => {
    const cli = requireBuild("src/cli.js");
    const config = join(dir, "gatehouse.yaml");
    writeFileSync(
      config,
      `site: "cron test"\ntimezone: UTC\ndata_dir: ./data\nconsole: { listen: "127.0.0.1:8443", tls: auto }\n` +
        `monitors:\n  backups: [ { name: nightly, path: ${join(dir, "no-such-backup")}, max_age: 26h } ]\n` +
        `alerts:\n  email: { smtp: { host: 127.0.0.1, port: 2 }, from: "gh@example.org", to: ["it@example.org"] }\n`,
    );
    const first = await check(cli, config);
    expect(first.code, first.stderr).toBe(2);
    expect(() => JSON.parse(first.stdout)).not.toThrow();
    expect(first.stderr).toMatch(/notifications from 1 monitor were queued; the daemon delivers them/);
    const again = await check(cli, config);
    expect(again.code).toBe(2);
    expect(again.stderr).not.toMatch(/queued/);
  });
});
