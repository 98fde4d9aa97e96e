import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CommandAborted,
  CommandFailed,
  CommandNotFound,
  CommandOutputTooLarge,
  CommandPermissionDenied,
  CommandTimeout,
  hasCommand,
  resolveCommand,
  run,
  spawnLines,
} from "../../src/kit/exec.js";

describe("exec: the one module that runs commands", () => {
  it("runs by absolute path with LC_ALL=C and returns output", async () => {
    const r = await run("env", []);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("LC_ALL=C");
    expect(resolveCommand("env")).toMatch(/^\/.*\/env$/);
  });

  it("never uses a shell: metacharacters are passed literally", async () => {
    const r = await run("echo", ["$(id)", ";", "rm -rf /", "|", "`x`"]);
    expect(r.stdout).toBe("$(id) ; rm -rf / | `x`\n");
  });

  it("refuses relative command paths and reports a missing tool as CommandNotFound", async () => {
    await expect(run("./env", [])).rejects.toBeInstanceOf(CommandNotFound);
    await expect(run("gatehouse-no-such-tool", [])).rejects.toBeInstanceOf(CommandNotFound);
    expect(hasCommand("gatehouse-no-such-tool")).toBe(false);
  });

  it("reports a non-zero exit with its code and stderr", async () => {
    const e = await run("ls", ["/nonexistent-dir-for-test"]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandFailed);
    expect((e as CommandFailed).code).toBe(2);
    expect((e as CommandFailed).message).toMatch(/ls exited with code 2: .*No such file/);
  });

  it("accepts listed exit codes", async () => {
    const r = await run("false", [], { okExitCodes: [0, 1] });
    expect(r.code).toBe(1);
  });

  it("kills a command that exceeds its timeout", async () => {
    await expect(run("sleep", ["5"], { timeoutMs: 100 })).rejects.toBeInstanceOf(CommandTimeout);
  });

  it("kills a command whose output exceeds the cap", async () => {
    await expect(run("yes", [], { maxOutputBytes: 64 * 1024 })).rejects.toBeInstanceOf(CommandOutputTooLarge);
  });

  it("stops on abort", async () => {
    const ac = new AbortController();
    const p = run("sleep", ["5"], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toBeInstanceOf(CommandAborted);
  });

  it("maps a non-executable file and 'permission denied' stderr to CommandPermissionDenied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-exec-"));
    const script = join(dir, "denied");
    writeFileSync(script, "#!/bin/sh\necho 'nft: Operation not permitted' >&2\nexit 1\n");
    chmodSync(script, 0o755);
    await expect(run(script, [])).rejects.toBeInstanceOf(CommandPermissionDenied);
    const notExec = join(dir, "plain");
    writeFileSync(notExec, "data");
    await expect(run(notExec, [])).rejects.toBeInstanceOf(CommandNotFound);
  });

  it("passes stdin and extra env (for secrets that must not be on the command line)", async () => {
    const r = await run("cat", [], { input: "hello" });
    expect(r.stdout).toBe("hello");
    const e = await run("env", [], { env: { RESTIC_PASSWORD_FILE: "/x" } });
    expect(e.stdout).toContain("RESTIC_PASSWORD_FILE=/x");
  });

  it("streams lines from a long-running command and stops it", async () => {
    const lines: string[] = [];
    const s = spawnLines("seq", ["1", "5"], (l) => lines.push(l));
    expect(await s.exited).toBe(0);
    expect(lines).toEqual(["1", "2", "3", "4", "5"]);
    const long = spawnLines("sleep", ["30"], () => {});
    long.stop();
    expect(await long.exited).toBeNull();
  });
});
