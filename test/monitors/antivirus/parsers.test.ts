import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFreshclamLog } from "../../../src/monitors/antivirus/parse-freshclam-log.js";
import { parseCvdTime, parseSigtoolInfo } from "../../../src/monitors/antivirus/parse-sigtool-info.js";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { expectCase, fixtureCases } from "../../helpers/fixture-cases.js";

const FIX = join(import.meta.dirname, "../../fixtures/antivirus");

const scenarios = (dir: string) => fixtureCases(FIX, dir);

const GARBAGE = ["\u0000\u0001\u0002binary", "<html><body>502 Bad Gateway</body></html>", "{\"File\": 1}", "x".repeat(100_000), "File: daily.cvd\nBuild time: yesterday\n"];

describe("parseSigtoolInfo (real sigtool 1.4.6 output)", () => {
  it.each(scenarios("sigtool-info"))("$name", ({ input, expected }) => expectCase(() => parseSigtoolInfo(input), expected));
  it.each(["", ...GARBAGE])("garbage gives a clear ProbeError (%#)", (g) => {
    expect(() => parseSigtoolInfo(g)).toThrow(ProbeError);
  });
  it("reads the header's time with its zone, in either separator", () => {
    expect(parseCvdTime("07 Jun 2024 08:34 -0400")).toBe("2024-06-07T12:34:00.000Z");
    expect(parseCvdTime("07 Jun 2024 08-34 +0200")).toBe("2024-06-07T06:34:00.000Z");
    expect(parseCvdTime("07 Foo 2024 08:34 +0000")).toBeUndefined();
  });
});

describe("parseFreshclamLog", () => {
  it.each(scenarios("freshclam-log"))("$name", ({ input, expected }) => expectCase(() => parseFreshclamLog(input), expected));
  it.each(GARBAGE)("garbage gives a clear ProbeError (%#)", (g) => {
    expect(() => parseFreshclamLog(g)).toThrow(ProbeError);
    expect(() => parseFreshclamLog(g)).toThrow(/freshclam/);
  });
  it("a run still in progress is unknown, not ok", () => {
    expect(parseFreshclamLog("ClamAV update process started at Thu Nov 26 11:51:02 2026\n").result).toBe("unknown");
  });
});
