/**
 * Site time across daylight-saving changes (America/New_York 2026: 03-08 02:00 EST → 03:00 EDT,
 * 11-01 02:00 EDT → 01:00 EST), zones that move their clocks at midnight, half-hour and
 * 45-minute offsets, and calendar arithmetic over month ends and leap days.
 */
import { describe, expect, it } from "vitest";
import {
  addDays,
  addMonths,
  addYears,
  daysBetween,
  DAY_MS,
  hhmm,
  instantAt,
  isIsoDate,
  isTimeZone,
  localMidnight,
  localTime,
  previousMonth,
  siteTimeText,
  siteToday,
  wallClock,
  weekdayOf,
  zoneOffsetMs,
} from "../../src/kit/time.js";

const NY = "America/New_York";
const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);

describe("the wall clock in a zone", () => {
  it.each([
    ["2026-03-08T06:59:00Z", NY, { date: "2026-03-08", weekday: 0, minutes: 1 * 60 + 59 }],
    ["2026-03-08T07:00:00Z", NY, { date: "2026-03-08", weekday: 0, minutes: 3 * 60 }], // 02:xx never happens
    ["2026-11-01T05:30:00Z", NY, { date: "2026-11-01", weekday: 0, minutes: 90 }], // 01:30 EDT
    ["2026-11-01T06:30:00Z", NY, { date: "2026-11-01", weekday: 0, minutes: 90 }], // 01:30 EST, the second time
    ["2026-12-31T23:30:00Z", "Asia/Kolkata", { date: "2027-01-01", weekday: 5, minutes: 5 * 60 }], // +05:30
    ["2026-06-15T12:00:00Z", "Asia/Kathmandu", { date: "2026-06-15", weekday: 1, minutes: 17 * 60 + 45 }], // +05:45
    ["2026-01-01T04:59:00Z", NY, { date: "2025-12-31", weekday: 3, minutes: 23 * 60 + 59 }],
    ["2026-01-01T00:00:00Z", "UTC", { date: "2026-01-01", weekday: 4, minutes: 0 }],
  ] as const)("%s in %s", (instant, tz, expected) => {
    expect(localTime(at(instant), tz)).toEqual(expected);
  });

  it("today at the site is the local date, not the UTC one", () => {
    expect(siteToday(at("2026-07-01T03:00:00Z"), "America/Phoenix")).toBe("2026-06-30");
    expect(siteToday(at("2026-07-01T03:00:00Z"), "Europe/Berlin")).toBe("2026-07-01");
  });

  it("zone offsets change at the instant of the change", () => {
    expect(zoneOffsetMs(at("2026-03-08T06:59:59Z"), NY)).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(at("2026-03-08T07:00:00Z"), NY)).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(at("2026-11-01T05:59:59Z"), NY)).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(at("2026-11-01T06:00:00Z"), NY)).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(at("2026-06-01T00:00:00Z"), "America/Phoenix")).toBe(-7 * 3_600_000);
  });

  it("the wall clock as a UTC Date, to the minute (the scheduler's slot key)", () => {
    expect(iso(wallClock(new Date("2026-11-01T05:30:42Z"), NY).getTime())).toBe("2026-11-01T01:30:00.000Z");
    expect(iso(wallClock(new Date("2026-11-01T06:30:42Z"), NY).getTime())).toBe("2026-11-01T01:30:00.000Z");
    expect(iso(wallClock(new Date("2026-03-08T07:00:00Z"), NY).getTime())).toBe("2026-03-08T03:00:00.000Z");
  });

  it("writes minutes as HH:MM and an instant as site text with the zone's name", () => {
    expect([0, 59, 60, 90, 1439].map(hhmm)).toEqual(["00:00", "00:59", "01:00", "01:30", "23:59"]);
    expect(siteTimeText(at("2026-11-28T13:55:00Z"), "America/Phoenix")).toBe("2026-11-28 06:55 MST");
    expect(siteTimeText(at("2026-11-01T05:30:00Z"), NY)).toBe("2026-11-01 01:30 EDT");
    expect(siteTimeText(at("2026-11-01T06:30:00Z"), NY)).toBe("2026-11-01 01:30 EST");
  });

  it("knows which zone names exist, and refuses an unknown one", () => {
    expect(isTimeZone("America/Phoenix")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    for (const bad of ["Mars/Olympus", "", "America/Phoenix ", "+25:00"]) expect(isTimeZone(bad), bad).toBe(false);
    expect(() => localTime(0, "Mars/Olympus")).toThrow(RangeError);
  });
});

describe("the instant of a local date and time", () => {
  it.each([
    ["2026-03-09", 21, 30, NY, "2026-03-10T01:30:00.000Z"],
    ["2026-03-07", 21, 30, NY, "2026-03-08T02:30:00.000Z"],
    // 02:30 does not exist on 2026-03-08: shifted forward by the gap, to 03:30 EDT.
    ["2026-03-08", 2, 30, NY, "2026-03-08T07:30:00.000Z"],
    // 01:30 happens twice on 2026-11-01: the first one (EDT).
    ["2026-11-01", 1, 30, NY, "2026-11-01T05:30:00.000Z"],
    ["2026-06-01", 0, 0, "America/Phoenix", "2026-06-01T07:00:00.000Z"],
    ["2026-10-04", 2, 30, "Australia/Lord_Howe", "2026-10-03T15:30:00.000Z"], // a 30-minute change: 02:00 → 02:30
  ] as const)("%s %d:%d in %s", (date, hh, mm, tz, expected) => {
    expect(iso(instantAt(date, hh, mm, tz))).toBe(expected);
  });

  it("local midnight across both changes: the day before a change is 24 h, the change days 23 h and 25 h", () => {
    const length = (d: string) => (localMidnight(addDays(d, 1), NY) - localMidnight(d, NY)) / 3_600_000;
    expect(iso(localMidnight("2026-03-08", NY))).toBe("2026-03-08T05:00:00.000Z");
    expect(iso(localMidnight("2026-03-09", NY))).toBe("2026-03-09T04:00:00.000Z");
    expect([length("2026-03-07"), length("2026-03-08"), length("2026-11-01"), length("2026-11-02")]).toEqual([24, 23, 25, 24]);
    expect(iso(localMidnight("2026-06-01", "UTC"))).toBe("2026-06-01T00:00:00.000Z");
  });

  it("where a zone skips midnight itself, the day begins at the change (and is never on the day before)", () => {
    // Havana springs forward at 00:00 → 01:00 CDT on 2026-03-08; Santiago at 24:00 on 2026-09-05.
    for (const [date, tz] of [
      ["2026-03-08", "America/Havana"],
      ["2026-09-06", "America/Santiago"],
      ["2018-11-04", "America/Sao_Paulo"],
    ] as const) {
      const t = localMidnight(date, tz);
      expect(localTime(t, tz), `${date} ${tz}`).toEqual({ date, weekday: weekdayOf(date), minutes: 60 });
      expect(localTime(t - 60_000, tz).date, `${date} ${tz}`).toBe(addDays(date, -1));
    }
  });

  it("every local midnight of a year starts its own date (no day lost or doubled)", () => {
    for (const tz of [NY, "Europe/London", "Australia/Sydney", "America/Havana"]) {
      let d = "2026-01-01";
      for (let i = 0; i < 365; i++, d = addDays(d, 1)) {
        const t = localMidnight(d, tz);
        expect(localTime(t, tz).date).toBe(d);
        expect(localTime(t - 1000, tz).date).toBe(addDays(d, -1));
      }
    }
  });
});

describe("calendar dates", () => {
  it("adds days across month and year ends and leap days", () => {
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-08", 1)).toBe("2026-03-09"); // a 23-hour day is still one day
    expect(addDays("2026-01-01", 365)).toBe("2027-01-01");
    expect(addDays("2026-05-05", 0)).toBe("2026-05-05");
  });

  it("adds months and years, a day past the month's end becoming its last day", () => {
    expect(addMonths("2026-01-31", 1)).toBe("2026-02-28");
    expect(addMonths("2028-01-31", 1)).toBe("2028-02-29");
    expect(addMonths("2026-03-31", -1)).toBe("2026-02-28");
    expect(addMonths("2026-12-15", 1)).toBe("2027-01-15");
    expect(addMonths("2026-01-15", -13)).toBe("2024-12-15");
    expect(addYears("2028-02-29", 1)).toBe("2029-02-28");
    expect(addYears("2028-02-29", 4)).toBe("2032-02-29");
    expect(addYears("2026-06-30", -1)).toBe("2025-06-30");
  });

  it("counts whole days between dates, negative backwards, DST days included", () => {
    expect(daysBetween("2026-03-01", "2026-03-31")).toBe(30);
    expect(daysBetween("2026-03-31", "2026-03-01")).toBe(-30);
    expect(daysBetween("2026-01-01", "2027-01-01")).toBe(365);
    expect(daysBetween("2028-01-01", "2029-01-01")).toBe(366);
    expect(daysBetween("2026-11-01", "2026-11-01")).toBe(0);
  });

  it("the previous month of any day, January included", () => {
    expect(previousMonth("2026-03-15")).toEqual({ from: "2026-02-01", to: "2026-02-28", month: "2026-02" });
    expect(previousMonth("2028-03-01")).toEqual({ from: "2028-02-01", to: "2028-02-29", month: "2028-02" });
    expect(previousMonth("2027-01-31")).toEqual({ from: "2026-12-01", to: "2026-12-31", month: "2026-12" });
  });

  it("weekdays of dates", () => {
    expect(["2026-11-01", "2026-11-02", "2026-11-07", "2028-02-29"].map(weekdayOf)).toEqual([0, 1, 6, 2]);
  });

  it.each(["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-01-01", "2026-1-1", "2026-01-01T00:00", " 2026-01-01", "1899-12-31", "2201-01-01", "", "garbage"])(
    "refuses %j as a date",
    (s) => {
      expect(isIsoDate(s)).toBe(false);
    },
  );

  it.each(["2026-02-28", "2028-02-29", "1900-01-01", "2200-12-31"])("accepts %s", (s) => {
    expect(isIsoDate(s)).toBe(true);
  });

  it("a day is 86,400,000 ms of UTC (the constant every module uses)", () => {
    expect(DAY_MS).toBe(Date.UTC(2026, 0, 2) - Date.UTC(2026, 0, 1));
  });
});
