import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLsblk } from "../../../src/monitors/inventory/parse-lsblk.js";
import { parseSystemInfo } from "../../../src/monitors/inventory/parse-system-info.js";
import type { SystemInfoSnapshot } from "../../../src/monitors/inventory/system-info.js";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { expectCase, fixtureCases } from "../../helpers/fixture-cases.js";

const FIX = join(import.meta.dirname, "../../fixtures/inventory");

const scenarios = (dir: string, ext: string) => fixtureCases(FIX, dir, ext);

describe("parseLsblk", () => {
  it.each(scenarios("lsblk", ".txt"))("$name", ({ input, expected }) => expectCase(() => parseLsblk(input), expected));
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
  it.each(scenarios("systeminformation", ".json"))("$name", ({ input, expected }) =>
    expectCase(() => parseSystemInfo(JSON.parse(input) as SystemInfoSnapshot), expected),
  );
  it.each([null, {}, "text", { osInfo: {}, cpu: {}, mem: {} }, { osInfo: {}, cpu: {}, mem: {}, diskLayout: [], blockDevices: [], networkInterfaces: [] }])(
    "garbage %j gives a clear ProbeError",
    (g) => {
      expect(() => parseSystemInfo(g as unknown as SystemInfoSnapshot)).toThrow(ProbeError);
    },
  );
});
