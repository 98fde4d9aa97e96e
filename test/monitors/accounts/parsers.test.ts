import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseGroup, parseLoginDefs, parsePasswd, parseShadow } from "../../../src/monitors/accounts/parse-account-files.js";
import { parseLastlog } from "../../../src/monitors/accounts/parse-lastlog.js";
import { parseSudoers, resolveSudoUsers } from "../../../src/monitors/accounts/parse-sudoers.js";

import { fixtureCases } from "../../helpers/fixture-cases.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/accounts");

const PARSERS: Record<string, (text: string) => unknown> = {
  passwd: parsePasswd,
  shadow: parseShadow,
  group: parseGroup,
  "login-defs": parseLoginDefs,
  lastlog: parseLastlog,
  sudoers: (t) => parseSudoers(t, "test.sudoers"),
};

for (const [folder, parse] of Object.entries(PARSERS)) {
  describe(folder, () => {
    const cases = fixtureCases(FIXTURES, folder, ".txt", 2);
    it("has a recorded fixture and a garbage one", () => {
      expect(cases.length).toBeGreaterThanOrEqual(2);
      expect(cases.map((c) => `${c.name}.txt`)).toContain("garbage.txt");
    });
    for (const { name: scenario, input, expected: exp } of cases) {
      it(scenario, () => {
        const expected = exp as Record<string, unknown>;
        const got = parse(input) as Record<string, unknown>;
        if ("problemCount" in expected) {
          // Garbage: nothing is believed, every non-blank line is reported.
          const { problemCount, ...rest } = expected;
          expect(got).toMatchObject(rest);
          expect((got.problems as string[]).length).toBe(problemCount);
        } else expect(got).toEqual(expected);
      });
    }
  });
}

describe("lastlog offsets", () => {
  it("the same logins printed in UTC and in Phoenix time are the same instants", () => {
    const utc = parseLastlog(readFileSync(join(FIXTURES, "lastlog/office.txt"), "utf8"));
    const phx = parseLastlog(readFileSync(join(FIXTURES, "lastlog/phoenix-offset.txt"), "utf8"));
    expect(phx).toEqual(utc);
    expect(utc.logins.filter((l) => l.latest !== null)).toHaveLength(5);
  });
});

describe("resolveSudoUsers", () => {
  const passwd = parsePasswd(
    [
      "root:x:0:0::/root:/bin/bash",
      "alice:x:1000:1000::/home/alice:/bin/bash",
      "bob:x:1001:1001::/home/bob:/bin/bash",
      "guest:x:1002:1002::/home/guest:/bin/bash",
      "nina:x:1010:1010::/home/nina:/bin/bash",
      "oscar:x:1011:1050::/home/oscar:/bin/bash",
      "pat:x:1012:1012::/home/pat:/bin/bash",
    ].join("\n"),
  ).entries;
  const groups = parseGroup("reception:x:1100:bob\ncontractors:x:1101:pat\nops:x:1050:\n").entries;
  const resolve = (text: string) => resolveSudoUsers([{ label: "/etc/sudoers", file: parseSudoers(text, "/etc/sudoers") }], passwd, groups);

  it.each([
    ["alice ALL=(ALL) ALL", ["alice"]],
    ["%reception ALL=(ALL) ALL", ["bob"]],
    ["%#1050 ALL=(ALL) ALL", ["oscar"]],
    ["#1010 ALL=(ALL) ALL", ["nina"]],
    ["ALL, !guest, !%contractors ALL = ALL", ["alice", "bob", "nina", "oscar", "root"]],
    ["User_Alias A = alice, %reception\nA ALL=ALL", ["alice", "bob"]],
    ["User_Alias A = ALL, !alice\nA, !bob ALL=ALL", ["guest", "nina", "oscar", "pat", "root"]],
    ["!alice, alice ALL=ALL", ["alice"]],
    ["alice, !alice ALL=ALL", []],
    ["alice ALL = !ALL", []],
    ['"alice" ALL=ALL', ["alice"]],
    ["ghost ALL=(ALL) ALL", []],
  ])("%s → %j", (text, users) => {
    expect(resolve(text).users).toEqual(users);
  });

  it("says how each user got sudo", () => {
    expect(resolve("\n\n%reception ALL=(ALL) ALL").via).toEqual(["bob via %reception at /etc/sudoers:3"]);
  });

  it("reports what local files cannot resolve instead of guessing", () => {
    const r = resolve('+admins, %:"Domain Admins" ALL=ALL');
    expect(r.users).toEqual([]);
    expect(r.problems).toEqual(["cannot resolve +admins from local files", 'cannot resolve %:"Domain Admins" from local files']);
  });

  it("a self-referencing alias does not loop", () => {
    expect(resolve("User_Alias A = A, alice\nA ALL=ALL").users).toEqual(["alice"]);
  });
});
