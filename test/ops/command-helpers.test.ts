/**
 * The helpers every CLI command shares (src/commands/command.ts): the database or agent is
 * closed however the command ends, a failed config check opens nothing, and a missing or
 * extra positional argument is a usage error.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import { UserError } from "../../src/kit/errors.js";
import type { Db } from "../../src/agent/store/db.js";
import { onePositional, withAgent, withStore } from "../../src/commands/command.js";

describe("command helpers", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-cmdh-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const configFor = (name: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `site: "Helpers test"\ndata_dir: ${JSON.stringify(join(dir, name))}\n`);
    return file;
  };

  it("withStore returns what the command returns and closes the database, also when it throws", async () => {
    const config = configFor("store");
    let seen: Db | undefined;
    expect(await withStore(config, (db, c) => ((seen = db), c.site))).toBe("Helpers test");
    expect(seen!.open).toBe(false);
    await expect(
      withStore(config, (db) => {
        seen = db;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(seen!.open).toBe(false);
  });

  it("withAgent closes the agent; a failing check opens nothing", async () => {
    const config = configFor("agent");
    let seen: Agent | undefined;
    const refuse = () => {
      throw new UserError("no such thing", 3);
    };
    await expect(withAgent(config, () => 0, refuse)).rejects.toThrow("no such thing");
    expect(existsSync(join(dir, "agent"))).toBe(false);
    expect(await withAgent(config, async (agent) => ((seen = agent), 7))).toBe(7);
    expect(seen!.db.open).toBe(false);
  });

  it("onePositional takes exactly one non-empty argument", () => {
    expect(onePositional(["x"], "monitor id", "gatehouse thing ID")).toBe("x");
    for (const bad of [[], ["a", "b"], [""]]) {
      let e: unknown;
      try {
        onePositional(bad, "monitor id", "gatehouse thing ID");
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).exitCode).toBe(3);
      expect((e as UserError).message).toBe("expected one monitor id\nusage: gatehouse thing ID");
    }
  });
});
