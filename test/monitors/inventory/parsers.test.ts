import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLsblk } from "../../../src/monitors/inventory/parse-lsblk.js";
import { parseSystemInfo } from "../../../src/monitors/inventory/parse-system-info.js";
import type { SystemInfoSnapshot } from "../../../src/monitors/inventory/system-info.js";
import { ProbeError } from "../../../src/monitors/monitor.js";

const FIX = join(import.meta.dirname, "../../fixtures/inventory");

function scenarios(dir: string, ext: string) {
  const d = join(FIX, dir);
  return readdirSync(d)
    .filter((f) => f.endsWith(ext) && !f.endsWith(".expected.json"))
    .map((f) => {
      const name = f.slice(0, -ext.length);
      return { name, input: readFileSync(join(d, f), "utf8"), expected: JSON.parse(readFileSync(join(d, `${name}.expected.json`), "utf8")) };
    });
}

describe("parseLsblk", () => {
  it.each(scenarios("lsblk", ".txt"))("$name", ({ input, expected }) => {
    expect(parseLsblk(input)).toEqual(expected);
  });
  it.each([
    "",
    "NAME TYPE FSTYPE\nsda disk",
    "<html>oops</html>",
    "null",
    '{"devices": []}',
    '{"blockdevices": [42]}',
    '{"blockdevices": [{"type": "disk"}]}',
    '{"blockdevices": [{"name": "sda", "children": "sda1"}]}',
  ])("garbage %j gives a clear ProbeError", (g) => {
    expect(() => parseLsblk(g)).toThrow(ProbeError);
    expect(() => parseLsblk(g)).toThrow(/lsblk/);
  });
});

describe("parseSystemInfo", () => {
  it.each(scenarios("systeminformation", ".json"))("$name", ({ input, expected }) => {
    expect(parseSystemInfo(JSON.parse(input) as SystemInfoSnapshot)).toEqual(expected);
  });
  it.each([null, {}, "text", { osInfo: {}, cpu: {}, mem: {} }, { osInfo: {}, cpu: {}, mem: {}, diskLayout: [], blockDevices: [], networkInterfaces: [] }])(
    "garbage %j gives a clear ProbeError",
    (g) => {
      expect(() => parseSystemInfo(g as unknown as SystemInfoSnapshot)).toThrow(ProbeError);
    },
  );
});
