/**
 * The install script's replacement for `npm prune --omit=dev` on a box without npm: the dev-only
 * packages come from the lockfile npm wrote; garbage is refused with a clear message.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { devOnlyPackages, pruneDev } from "../../src/install/prune-dev.js";

const LOCK = JSON.stringify({
  lockfileVersion: 3,
  packages: {
    "": { name: "gatehouse" },
    "node_modules/hono": { version: "4.0.0" },
    "node_modules/vitest": { version: "4.0.0", dev: true },
    "node_modules/vitest/node_modules/tinyspy": { version: "1.0.0", dev: true },
    "node_modules/fsevents": { version: "2.0.0", dev: true, optional: true },
    "node_modules/both": { version: "1.0.0", devOptional: true },
    "node_modules/../../etc": { dev: true },
  },
});

describe("prune-dev", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("lists the packages npm marked dev-only, never a path that climbs out", () => {
    expect(devOnlyPackages(LOCK)).toEqual(["node_modules/vitest", "node_modules/vitest/node_modules/tinyspy", "node_modules/fsevents"]);
  });

  it("refuses garbage and old lockfiles with a clear message", () => {
    expect(() => devOnlyPackages("{not json")).toThrow(/package-lock.json is not JSON/);
    expect(() => devOnlyPackages(JSON.stringify({ lockfileVersion: 1, dependencies: {} }))).toThrow(/lockfileVersion 2 or later/);
    expect(() => devOnlyPackages("null")).toThrow(/no `packages` map/);
  });

  it("removes them and the bin links left dangling; keeps production packages", () => {
    const app = mkdtempSync(join(tmpdir(), "gh-prune-"));
    dirs.push(app);
    writeFileSync(join(app, "package-lock.json"), LOCK);
    for (const p of ["hono", "vitest/node_modules/tinyspy", "both", ".bin"]) mkdirSync(join(app, "node_modules", p), { recursive: true });
    symlinkSync("../vitest/vitest.mjs", join(app, "node_modules/.bin/vitest"));
    writeFileSync(join(app, "node_modules/hono/index.js"), "");
    symlinkSync("../hono/index.js", join(app, "node_modules/.bin/hono"));
    expect(pruneDev(app)).toBe(1); // vitest (its nested package went with it; fsevents was never there)
    expect(existsSync(join(app, "node_modules/vitest"))).toBe(false);
    expect(existsSync(join(app, "node_modules/hono"))).toBe(true);
    expect(existsSync(join(app, "node_modules/both"))).toBe(true);
    expect(() => lstatSync(join(app, "node_modules/.bin/vitest"))).toThrow();
    expect(lstatSync(join(app, "node_modules/.bin/hono")).isSymbolicLink()).toBe(true);
  });

  it("keeps every package this project needs at run time (the real lockfile)", () => {
    const dev = new Set(devOnlyPackages(readFileSync(resolve(import.meta.dirname, "../../package-lock.json"), "utf8")));
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies)) expect(dev.has(`node_modules/${name}`)).toBe(false);
    // (a devDependency that a production package also needs is, rightly, not dev-only)
    expect(dev.has("node_modules/vitest")).toBe(true);
    expect(dev.has("node_modules/typescript")).toBe(true);
  });
});
