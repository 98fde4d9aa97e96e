/**
 * Monitors read the host only through ProbeContext's rooted file view: no file under
 * src/monitors imports node:fs, and the view keeps reads inside its root.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootedFileView } from "../../src/kit/file-view.js";

const SRC = join(import.meta.dirname, "../../src/monitors");
const FS_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](?:node:)?fs(?:\/promises)?["']/m;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe("no monitor imports node:fs", () => {
  const files = sources(SRC);
  it("finds the monitor sources", () => expect(files.length).toBeGreaterThan(20));
  it("the check recognises every spelling of an fs import", () => {
    for (const bad of [
      'import { readFile } from "node:fs/promises";',
      "import * as fs from 'fs';",
      'import { stat } from "fs/promises";',
      'const fs = await import("node:fs");',
      'const fs = require("fs");',
      'import "node:fs";',
    ]) {
      expect(FS_IMPORT.test(bad), bad).toBe(true);
    }
    expect(FS_IMPORT.test('import { join } from "node:path"; // reads via ctx, never fs')).toBe(false);
  });
  it("every file under src/monitors reads through ProbeContext", () => {
    const offenders = files.filter((f) => FS_IMPORT.test(readFileSync(f, "utf8"))).map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });
});

describe("rootedFileView", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "gatehouse-view-"));
    mkdirSync(join(root, "etc/app"), { recursive: true });
    writeFileSync(join(root, "etc/app/b.conf"), "b=2\n");
    writeFileSync(join(root, "etc/app/a.conf"), "a=1\n");
    utimesSync(join(root, "etc/app/a.conf"), new Date("2026-01-02T03:04:05Z"), new Date("2026-01-02T03:04:05Z"));
    symlinkSync("a.conf", join(root, "etc/app/current"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("reads the box's own paths inside the root", async () => {
    const v = rootedFileView(root);
    expect(await v.readFile("/etc/app/a.conf")).toBe("a=1\n");
    expect(new TextDecoder().decode(await v.readBytes("/etc/app/b.conf"))).toBe("b=2\n");
    expect(await v.readDir("/etc/app")).toEqual(["a.conf", "b.conf", "current"]);
    expect(await v.stat("/etc/app/a.conf")).toEqual({ kind: "file", size: 4, mtime: new Date("2026-01-02T03:04:05Z") });
    expect((await v.stat("/etc/app/current")).kind).toBe("file");
    expect((await v.lstat("/etc/app/current")).kind).toBe("symlink");
    expect((await v.stat("/etc")).kind).toBe("directory");
    expect(await v.readLink("/etc/app/current")).toBe("a.conf");
  });
  it("`..` cannot climb out of the root", async () => {
    const v = rootedFileView(join(root, "etc"));
    expect(await v.readFile("/../etc/app/a.conf").catch((e: NodeJS.ErrnoException) => e.code)).toBe("ENOENT");
    expect(await v.readFile("/app/../../app/a.conf")).toBe("a=1\n");
  });
  it("keeps Node's error codes so a monitor can tell absent from refused", async () => {
    const v = rootedFileView(root);
    await expect(v.readFile("/no/such/file")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(v.readDir("/etc/app/a.conf")).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
