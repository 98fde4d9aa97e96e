/**
 * Business hours in the site's time zone. Pure: the site's wall clock comes from the kit
 * (src/kit/time.ts, Intl with the zone's daylight-saving rules), so a window such as 07:00-19:00
 * means 07:00 local on every day, whatever the UTC offset that day.
 */
import { localTime } from "../../kit/time.js";
import type { WeekHours } from "./config.js";

export interface Calendar {
  timezone: string;
  week: WeekHours;
  holidays: ReadonlySet<string>;
}

/** Whether instant `at` falls inside business hours (holidays are closed all day). */
export function isBusinessHours(cal: Calendar, at: number): boolean {
  const l = localTime(at, cal.timezone);
  if (cal.holidays.has(l.date)) return false;
  return (cal.week[l.weekday] ?? []).some((w) => l.minutes >= w.start && l.minutes < w.end);
}
