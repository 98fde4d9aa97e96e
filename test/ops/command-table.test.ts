/**
 * The lazy command table (src/commands/index.ts): every command a module exports is reachable
 * by its first word, every first word leads to a command, and no two commands share their words.
 */
import { describe, expect, it } from "vitest";
import { allCommands, COMMAND_MODULES, commandsOf, main } from "../../src/commands/index.js";

describe("command table", () => {
  it("routes each command by the first word of its module's table line", async () => {
    for (const m of COMMAND_MODULES) {
      const cmds = commandsOf(await m.load());
      expect(cmds.length).toBeGreaterThan(0);
      for (const c of cmds) expect(m.first, `${c.words.join(" ")} is exported by the module for ${m.first.join("/")}`).toContain(c.words[0]);
      for (const w of m.first) expect(cmds.some((c) => c.words[0] === w), `no command starts with ${w}`).toBe(true);
    }
  });

  it("no two commands have the same words, and no first word is in two table lines", async () => {
    const words = (await allCommands()).map((c) => c.words.join(" "));
    expect(new Set(words).size).toBe(words.length);
    const firsts = COMMAND_MODULES.flatMap((m) => m.first);
    expect(new Set(firsts).size).toBe(firsts.length);
  });

  it("help lists every command; an unknown word is a usage error with the help", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
    expect(await main(["--help"], io)).toBe(0);
    for (const c of await allCommands()) expect(out.join("\n")).toContain(c.usage);
    expect(await main(["frobnicate", "now"], io)).toBe(3);
    expect(err.join("\n")).toContain('unknown command "frobnicate now"');
    expect(err.join("\n")).toContain("gatehouse serve");
    expect(await main(["baseline", "nonsense"], io)).toBe(3);
    expect(err.join("\n")).toContain('unknown command "baseline nonsense"');
  });
});
