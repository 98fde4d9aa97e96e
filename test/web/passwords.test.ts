/** Password policy, argon2id parameters, and the two-at-a-time limit on hashing. */
import { describe, expect, it } from "vitest";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { commonPasswords, commonPasswordsFile, parseCommonPasswords } from "../../src/web/auth/common-passwords.js";
import { ARGON2_PARAMS, hashPassword, hashSlots, passwordProblem, Semaphore, verifyPassword } from "../../src/web/auth/passwords.js";
import { checkTotp, totpCode } from "../../src/web/auth/totp.js";
import { seal, unseal } from "../../src/web/auth/tokens.js";
import { randomBytes } from "node:crypto";

describe("password policy", () => {
  it.each([
    ["", "at least 12"],
    ["short-pass", "at least 12"],
    ["x".repeat(129), "at most 128"],
    ["1qaz2wsx3edc", "most common"],
    ["QWERTYUIOPAS", "most common"],
    ["aaaaaaaaaaaaaaaa", "most common"],
    ["ŋŋŋŋŋŋŋŋŋŋŋŋŋŋ", "repeated"],
    ["alice-has-a-long-password", "user name"],
    ["a long and unusual passphrase 7", undefined],
    ["🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐", undefined], // 12 characters (code points), not 24 UTF-16 units
  ])("%j → %s", (pw, problem) => {
    const p = passwordProblem(pw, "alice");
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  it("ships ten thousand common passwords of 12+ characters, matched case-insensitively", () => {
    const COMMON_PASSWORDS = [...commonPasswords()];
    expect(COMMON_PASSWORDS).toHaveLength(10_000);
    expect(COMMON_PASSWORDS.every((p) => p.length >= 12 && p === p.toLowerCase())).toBe(true);
    expect(passwordProblem(COMMON_PASSWORDS[9_999]!.toUpperCase())).toContain("most common");
  });
});

describe("the common-password list is a data file read on first use", () => {
  it("one password per line, CRLF or LF, blank lines are not entries; '#' is a password, not a comment", () => {
    expect(parseCommonPasswords("abcdefghijkl\r\n###int_made###\n\n")).toEqual(["abcdefghijkl", "###int_made###"]);
    expect(parseCommonPasswords("")).toEqual([]);
  });
  it("ships as src/web/auth/common-passwords.txt, and the module is code only", () => {
    expect(commonPasswordsFile().endsWith(join("src", "web", "auth", "common-passwords.txt"))).toBe(true);
    expect(existsSync(commonPasswordsFile())).toBe(true);
    expect(statSync(new URL("../../src/web/auth/common-passwords.ts", import.meta.url)).size).toBeLessThan(4_000);
    expect(commonPasswords()).toBe(commonPasswords());
  });
});

describe("argon2id", () => {
  it("uses m=19456 KiB, t=2, p=1 and verifies", async () => {
    expect(ARGON2_PARAMS).toMatchObject({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const h = await hashPassword("a long and unusual passphrase 7");
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(h, "a long and unusual passphrase 7")).toBe(true);
    expect(await verifyPassword(h, "a long and unusual passphrase 8")).toBe(false);
    expect(await verifyPassword(undefined, "anything at all here")).toBe(false);
    expect(await verifyPassword("not-a-hash", "anything at all here")).toBe(false);
  });

  it("never runs more than two hashes at once", async () => {
    hashSlots.peak = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => hashPassword(`parallel password number ${i}`)));
    expect(hashSlots.peak).toBe(2);
    // The figure for the report (printed, not asserted: tests carry no wall-clock limits).
    const t0 = performance.now();
    await hashPassword("one more for the figure");
    console.log(`argon2id m=19456,t=2,p=1: one hash ${(performance.now() - t0).toFixed(1)} ms; six with two slots ${Date.now() - started} ms`);
  });

  it("the semaphore queues in order and releases on failure", async () => {
    const s = new Semaphore(1);
    const order: number[] = [];
    await Promise.allSettled([
      s.run(async () => {
        order.push(1);
        throw new Error("x");
      }),
      s.run(async () => void order.push(2)),
    ]);
    expect(order).toEqual([1, 2]);
    expect(s.peak).toBe(1);
  });
});

describe("TOTP and sealing", () => {
  it("checks codes at the edges of the one-step window", () => {
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const t = 1_800_000_000_000;
    const step = Math.floor(t / 30_000);
    expect(checkTotp(secret, totpCode(secret, t), t, 0)).toEqual({ ok: true, step });
    expect(checkTotp(secret, totpCode(secret, t - 30_000), t, 0)).toEqual({ ok: true, step: step - 1 });
    expect(checkTotp(secret, totpCode(secret, t + 30_000), t, 0)).toEqual({ ok: true, step: step + 1 });
    expect(checkTotp(secret, totpCode(secret, t - 60_000), t, 0)).toEqual({ ok: false, reason: "invalid" });
    expect(checkTotp(secret, totpCode(secret, t + 60_000), t, 0)).toEqual({ ok: false, reason: "invalid" });
    expect(checkTotp(secret, totpCode(secret, t), t, step)).toEqual({ ok: false, reason: "replayed" });
    for (const junk of ["", "12345", "1234567", "abcdef", "12 34 5x", "０１２３４５"]) expect(checkTotp(secret, junk, t, 0).ok).toBe(false);
  });

  it("seals secrets with AES-GCM: wrong key or altered text is refused", () => {
    const k = randomBytes(32);
    const sealed = seal(k, "JBSWY3DPEHPK3PXP");
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(unseal(k, sealed)).toBe("JBSWY3DPEHPK3PXP");
    expect(() => unseal(randomBytes(32), sealed)).toThrow();
    const [v, iv, body, tag] = sealed.split(".");
    const flipped = Buffer.from(body!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    expect(() => unseal(k, [v, iv, flipped.toString("base64url"), tag].join("."))).toThrow();
    expect(() => unseal(k, "garbage")).toThrow();
  });
});
