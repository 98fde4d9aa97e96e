/**
 * One validation path: every config in test/fixtures/config-bad goes through the built CLI's
 * `gatehouse config check` and `gatehouse serve`. Both must refuse it with the same message,
 * before serve opens anything (serve with EX_CONFIG, 78, so systemd does not restart it), and
 * the message must name the key path and the line the fixture's first line expects
 * (`# expect: monitors.firewall.schedule (line 6)`).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/kit/exec.js";
import { EXIT_CONFIG } from "../../src/commands/serve.js";

const CORPUS = join(import.meta.dirname, "../fixtures/config-bad");
const CLI = resolve(import.meta.dirname, "../../dist/src/cli.js");
const cases = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

if (!existsSync(CLI)) throw new Error("build first: npm run build (npm test does)");

/** Runs the built CLI; returns exit code and stderr with the command's own prefix removed. */
async function gatehouse(args: string[]): Promise<{ code: number; message: string }> {
  const r = await run(process.execPath, [CLI, ...args], { okExitCodes: [0, 1, 2, 3, 4, 5, 6, 7, 78] });
  return { code: r.code, message: r.stderr.replace(/^gatehouse (config check|serve): /, "").trim() };
}

describe("bad-config corpus: config check and serve give one verdict", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-config-bad-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the corpus is not empty", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)("%s", async (name) => {
    const text = readFileSync(join(CORPUS, name), "utf8");
    const expected = /^# expect: (.+)$/m.exec(text.split("\n")[0] ?? "")?.[1];
    expect(expected, `${name}: first line must be "# expect: <key path> (line N)"`).toMatch(/^\S+ \(line \d+\)$/);
    // A copy of its own: data_dir is relative, and serve must create nothing there.
    const file = join(dir, name);
    copyFileSync(join(CORPUS, name), file);

    const check = await gatehouse(["config", "check", "--config", file]);
    const serve = await gatehouse(["serve", "--config", file]);
    expect(check.code, check.message).not.toBe(0);
    expect(serve.message).toBe(check.message);
    expect(serve.code).toBe(EXIT_CONFIG);
    const issues = check.message.split("\n").filter((l) => l.startsWith("  "));
    expect(issues, "one problem per fixture, so the rest of it is known good").toHaveLength(1);
    expect(issues[0]!.trim().startsWith(`${expected}: `), issues[0]).toBe(true);
    expect(existsSync(join(dir, "data")), "serve refused before creating the data dir").toBe(false);
  });
});
