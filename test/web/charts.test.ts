/** The pictures: status strip per monitor, compliance bars per control, door openings per day — SVG without inline style. */
import { describe, expect, it } from "vitest";
import { insertObservation } from "../../src/agent/store/observations.js";
import { doorOpeningsByDay, siteDays, statusByDay } from "../../src/web/data.js";
import { localTimeText } from "../../views/components/format.js";
import { addUser, call, makeHarness, signIn, T0, type Harness } from "./harness.js";

const DAY = 86_400_000;

function observe(h: Harness, at: number, status: "pass" | "warn" | "fail") {
  insertObservation(h.db, { monitor: "firewall", startedAt: at, durationMs: 1, status, outcome: "ok", evidence: "", facts: {}, findings: [] });
}

function door(h: Harness, at: number, outcome: string, state = "open") {
  h.db.prepare("INSERT INTO door_events (sensor_id, source, received_at, payload_sha256, state, outcome) VALUES ('lobby', 'webhook', ?, 'x', ?, ?)").run(at, state, outcome);
}

describe("per-day read models", () => {
  it("statusByDay gives 30 site days, oldest first, each day's worst status", () => {
    const h = makeHarness();
    observe(h, T0 - 2 * DAY, "pass");
    observe(h, T0 - 2 * DAY + 60_000, "fail");
    observe(h, T0 - 2 * DAY + 120_000, "pass");
    observe(h, T0 - 40 * DAY, "fail"); // outside the window
    observe(h, T0 - 1000, "warn");
    const days = statusByDay(h.db, "firewall", siteDays(T0, "UTC", 30));
    expect(days).toHaveLength(30);
    expect(days[29]).toEqual({ date: "2026-11-28", status: "warn", checks: 1 });
    expect(days[27]).toEqual({ date: "2026-11-26", status: "fail", checks: 3 });
    expect(days[0]).toEqual({ date: "2026-10-30", status: undefined, checks: 0 });
  });

  it("site days follow the site's zone across a daylight-saving change", () => {
    const days = siteDays(Date.UTC(2026, 10, 3, 12), "America/New_York", 3);
    expect(days.map((d) => d.date)).toEqual(["2026-11-01", "2026-11-02", "2026-11-03"]);
    expect(days[0]!.to - days[0]!.from).toBe(25 * 3_600_000); // clocks fell back that night
    expect(days[1]!.from).toBe(days[0]!.to);
  });

  it("site days kept within a day are those of the day `now` falls in, hour by hour across a daylight-saving change, forwards and backwards", () => {
    const start = Date.UTC(2026, 9, 30, 0, 30);
    const hours = Array.from({ length: 24 * 5 }, (_, i) => start + i * 3_600_000);
    for (const now of [...hours, ...hours.reverse()]) {
      const days = siteDays(now, "America/New_York", 30);
      const today = days.at(-1)!;
      expect(today.from <= now && now < today.to, new Date(now).toISOString()).toBe(true);
      expect(today.date).toBe(new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(now));
      expect(days.every((d, i) => i === 0 || d.from === days[i - 1]!.to)).toBe(true);
    }
  });

  it("local times are written to the minute in the site's zone, the same text for every instant of that minute", () => {
    const f = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Phoenix", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    for (let ms = T0 - 3 * DAY; ms < T0; ms += 7_777_777) {
      const expected = `${f.format(ms).replace(", ", " ")} MST`;
      expect(localTimeText(ms, "America/Phoenix")).toBe(expected);
      expect(localTimeText(ms - (ms % 60_000), "America/Phoenix")).toBe(expected);
      expect(localTimeText(ms - (ms % 60_000) + 59_999, "America/Phoenix")).toBe(expected);
    }
    expect(localTimeText(T0, "UTC")).toBe("2026-11-28 12:00 UTC");
  });

  it("doorOpeningsByDay counts openings and the after-hours ones", () => {
    const h = makeHarness();
    door(h, T0 - 3600_000, "business_hours");
    door(h, T0 - 3500_000, "alarm");
    door(h, T0 - 3400_000, "onsite");
    door(h, T0 - 3300_000, "closed", "closed");
    const days = doorOpeningsByDay(h.db, siteDays(T0, "UTC", 30));
    expect(days[29]).toEqual({ date: "2026-11-28", openings: 3, afterHours: 2 });
    expect(days.slice(0, 29).every((d) => d.openings === 0)).toBe(true);
  });
});

describe("pictures on the pages", () => {
  it("monitor page: a 30-day status strip; doors: openings per day with after-hours marked; compliance: 30/90/365 bars — and no style attribute anywhere", async () => {
    const h = makeHarness();
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    observe(h, T0 - DAY, "fail");
    observe(h, T0, "pass");
    door(h, T0 - 3500_000, "alarm");
    door(h, T0 - 3400_000, "business_hours");
    const monitor = await (await call(h, "/monitors/firewall", { cookie })).text();
    const strip = /<figure class="chart-figure" id="status-strip">[\s\S]*?<\/figure>/.exec(monitor)![0];
    expect(strip.match(/<rect /g)).toHaveLength(30);
    expect(strip).toContain('class="s-fail"');
    expect(strip).toContain("1 days OK, 0 with a warning, 1 failing, 0 unknown, 28 not checked");
    const doors = await (await call(h, "/doors", { cookie })).text();
    const chart = /<figure class="chart-figure" id="door-chart">[\s\S]*?<\/figure>/.exec(doors)![0];
    expect(chart).toContain('class="bar-after"');
    expect(chart).toContain('class="mark-after"');
    expect(chart).toContain("2 openings in 30 days, 1 after hours (on 2026-11-28)");
    const compliance = await (await call(h, "/compliance", { cookie })).text();
    const bars = /<figure class="chart-figure" id="bars-firewall">[\s\S]*?<\/figure>/.exec(compliance)![0];
    expect(bars).toMatch(/30 days: \d+% green/);
    expect(bars).toContain("365 days");
    for (const html of [monitor, doors, compliance]) {
      expect(html).not.toMatch(/\sstyle=/);
      expect(html).not.toMatch(/<style|<script(?! src="\/static\/htmx\.min\.js")/);
    }
  });
});
