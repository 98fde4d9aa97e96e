/**
 * Business hours in America/New_York across the 2026 daylight-saving changes
 * (2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST).
 */
import { describe, expect, it } from "vitest";
import { parseDoorsConfig } from "../../../src/agent/doors/config.js";
import { isBusinessHours, type Calendar } from "../../../src/agent/doors/hours.js";
import { instantAt, localTime, zoneOffsetMs } from "../../../src/kit/time.js";
import { TZ } from "./helpers.js";

const doors = parseDoorsConfig({ business_hours: { "mon-fri": "07:00-19:00", sat: "08:00-12:00", sun: "01:00-03:30" }, holidays: ["2026-11-26"] });
const cal: Calendar = { timezone: TZ, week: doors.business_hours, holidays: new Set(doors.holidays) };
const open = (iso: string) => isBusinessHours(cal, Date.parse(iso));

describe("business hours across DST (America/New_York)", () => {
  it("a weekday opens at 07:00 local on either side of the spring change", () => {
    // Friday 2026-03-06 is EST (UTC-5): 07:00 local = 12:00Z.
    expect(open("2026-03-06T11:59:00Z")).toBe(false);
    expect(open("2026-03-06T12:00:00Z")).toBe(true);
    // Monday 2026-03-09 is EDT (UTC-4): 07:00 local = 11:00Z.
    expect(open("2026-03-09T10:59:00Z")).toBe(false);
    expect(open("2026-03-09T11:00:00Z")).toBe(true);
    // 19:00 EDT = 23:00Z closes.
    expect(open("2026-03-09T22:59:00Z")).toBe(true);
    expect(open("2026-03-09T23:00:00Z")).toBe(false);
  });

  it("the night of the spring change: 01:00-03:30 local lasts 1.5 real hours", () => {
    expect(open("2026-03-08T05:59:00Z")).toBe(false); // 00:59 EST
    expect(open("2026-03-08T06:00:00Z")).toBe(true); // 01:00 EST
    expect(open("2026-03-08T06:59:00Z")).toBe(true); // 01:59 EST
    expect(open("2026-03-08T07:00:00Z")).toBe(true); // 03:00 EDT (02:xx never happens)
    expect(open("2026-03-08T07:29:00Z")).toBe(true); // 03:29 EDT
    expect(open("2026-03-08T07:30:00Z")).toBe(false); // 03:30 EDT
  });

  it("the night of the fall change: 01:00-03:30 local lasts 3.5 real hours (01:xx happens twice)", () => {
    expect(open("2026-11-01T04:59:00Z")).toBe(false); // 00:59 EDT
    expect(open("2026-11-01T05:00:00Z")).toBe(true); // 01:00 EDT
    expect(open("2026-11-01T06:30:00Z")).toBe(true); // 01:30 EST (second time)
    expect(open("2026-11-01T08:29:00Z")).toBe(true); // 03:29 EST
    expect(open("2026-11-01T08:30:00Z")).toBe(false); // 03:30 EST
  });

  it("after the fall change a weekday opens at 07:00 EST = 12:00Z; Saturday 08:00-12:00; holiday closed", () => {
    expect(open("2026-11-02T11:59:00Z")).toBe(false);
    expect(open("2026-11-02T12:00:00Z")).toBe(true);
    expect(open("2026-10-31T12:00:00Z")).toBe(true); // Sat 08:00 EDT
    expect(open("2026-10-31T16:00:00Z")).toBe(false); // Sat 12:00 EDT
    expect(open("2026-11-07T13:00:00Z")).toBe(true); // Sat 08:00 EST
    expect(open("2026-11-07T12:59:00Z")).toBe(false); // Sat 07:59 EST
    expect(open("2026-11-26T17:00:00Z")).toBe(false); // Thanksgiving, noon
    expect(open("2026-11-25T17:00:00Z")).toBe(true);
  });

  it("local time, zone offsets and the instant of a wall-clock time", () => {
    expect(localTime(Date.parse("2026-11-01T05:30:00Z"), TZ)).toEqual({ date: "2026-11-01", weekday: 0, minutes: 90 });
    expect(localTime(Date.parse("2026-11-01T06:30:00Z"), TZ)).toEqual({ date: "2026-11-01", weekday: 0, minutes: 90 });
    expect(zoneOffsetMs(Date.parse("2026-03-08T06:59:00Z"), TZ)).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(Date.parse("2026-03-08T07:00:00Z"), TZ)).toBe(-4 * 3_600_000);
    expect(new Date(instantAt("2026-03-09", 21, 30, TZ)).toISOString()).toBe("2026-03-10T01:30:00.000Z");
    expect(new Date(instantAt("2026-03-07", 21, 30, TZ)).toISOString()).toBe("2026-03-08T02:30:00.000Z");
    // 02:30 does not exist on 2026-03-08: shifted forward by the gap, to 03:30 EDT.
    expect(new Date(instantAt("2026-03-08", 2, 30, TZ)).toISOString()).toBe("2026-03-08T07:30:00.000Z");
    // 01:30 happens twice on 2026-11-01: the first one (EDT).
    expect(new Date(instantAt("2026-11-01", 1, 30, TZ)).toISOString()).toBe("2026-11-01T05:30:00.000Z");
    expect(new Date(instantAt("2026-06-01", 0, 0, "America/Phoenix")).toISOString()).toBe("2026-06-01T07:00:00.000Z");
  });
});
