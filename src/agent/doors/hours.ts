/**
 * Business hours in the site's time zone. Pure: an instant is turned into the local wall clock
 * with Intl (which knows the zone's daylight-saving rules), so a window such as 07:00-19:00
 * means 07:00 local on every day, whatever the UTC offset that day.
 */
import type { WeekHours } from "./config.js";

export interface LocalTime {
  /** YYYY-MM-DD in the zone. */
  date: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes after local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(tz, f);
  }
  return f;
}

function parts(at: number, tz: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(at))) out[p.type] = p.value;
  return out;
}

/** The wall clock in `tz` at instant `at` (unix ms). */
export function localTime(at: number, tz: string): LocalTime {
  const p = parts(at, tz);
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: WEEKDAYS[p.weekday!] ?? 0,
    minutes: Number(p.hour) * 60 + Number(p.minute),
  };
}

/** The zone's offset from UTC at instant `at`, in ms (New York in winter: -5 h). */
export function zoneOffsetMs(at: number, tz: string): number {
  const p = parts(at, tz);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `tz` shows `date` `hh:mm`. A time skipped by a
 * spring-forward change is shifted forward by the gap (02:30 → 03:30, as Temporal's
 * "compatible" does); a time repeated by a fall-back change resolves to the first one.
 */
export function instantAt(date: string, hh: number, mm: number, tz: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d, hh, mm);
  // Try the offsets in force a day either side; keep the earliest that shows the wanted time.
  const candidates = [zoneOffsetMs(naive - 86_400_000, tz), zoneOffsetMs(naive, tz), zoneOffsetMs(naive + 86_400_000, tz)];
  const wanted = hh * 60 + mm;
  const exact = [...new Set(candidates)]
    .map((off) => naive - off)
    .filter((t) => {
      const l = localTime(t, tz);
      return l.date === date && l.minutes === wanted;
    })
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  // In the gap: read with the offset in force before the change, i.e. shifted forward by the gap.
  return naive - Math.min(...candidates);
}

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
