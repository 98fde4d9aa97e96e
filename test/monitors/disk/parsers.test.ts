/**
 * disk parsers on recorded output (test/fixtures/disk, see SOURCE.md there), table-driven with
 * the expected result beside each input, and on garbage.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePercent, parseDf } from "../../../src/monitors/disk/parse-df.js";
import { parseSmartctlHealth, parseSmartctlScan } from "../../../src/monitors/disk/parse-smartctl.js";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { expectCase, fixtureCases } from "../../helpers/fixture-cases.js";

const ROOT = join(import.meta.dirname, "../../fixtures/disk");
const df = fixtureCases(ROOT, "df", ".txt", 3);
const smart = fixtureCases(ROOT, "smartctl", ".json", 6);

describe("parseDf", () => {
  it.each(df)("$name", ({ input, expected }) => expectCase(() => parseDf(input), expected));

  it("free space counts what users may fill, not root's reserve", () => {
    const [root] = parseDf(df.find((c) => c.name === "data-dir-root")!.input);
    expect(root!.size).toBeGreaterThan(root!.used + root!.available); // ext4 reserve
    expect(freePercent(root!)).toBeCloseTo((100 * root!.available) / (root!.used + root!.available), 1);
    expect(freePercent({ used: 0, available: 0 })).toBe(0);
  });

  it.each(["", "garbage\n", "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/x 1 1 1 1% /\n", "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/vda 1 2\n"])(
    "refuses %j with a ProbeError",
    (text) => expect(() => parseDf(text)).toThrow(ProbeError),
  );
});

describe("parseSmartctl", () => {
  it.each(smart)("$name", ({ name, input, expected }) => expectCase(() => (name.startsWith("scan") ? parseSmartctlScan(input) : parseSmartctlHealth(input)), expected));

  it.each(["", "not json", "[]", '{"json_format_version":[2,0]}', '{"devices":[]}', "null"])("refuses %j with a ProbeError", (text) => {
    expect(() => parseSmartctlScan(text)).toThrow(ProbeError);
    expect(() => parseSmartctlHealth(text)).toThrow(ProbeError);
  });

  it("tolerates odd shapes inside a valid envelope without crashing", () => {
    expect(() => parseSmartctlScan('{"json_format_version":[1,0],"devices":{}}')).toThrow(ProbeError);
    expect(parseSmartctlScan('{"json_format_version":[1,0],"devices":[1,null,{"name":5},{"name":"/dev/sda"}]}')).toEqual([{ path: "/dev/sda", type: "", protocol: "" }]);
    const h = parseSmartctlHealth('{"json_format_version":[1,0],"smart_status":{"passed":"yes"},"ata_smart_attributes":{"table":[null,{"id":"5"}]},"nvme_smart_health_information_log":[]}');
    expect(h).toMatchObject({ passed: undefined, failing: [], warnings: [] });
  });
});
