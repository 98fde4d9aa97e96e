/**
 * Site time: the wall clock in the site's time zone, and calendar dates (YYYY-MM-DD) with day
 * arithmetic. Business hours, "today" for registers, report periods, nightly copies and the
 * scheduler's pinned slots all mean local time, whatever the UTC offset that day; Intl knows each
 * zone's daylight-saving rules, so nothing here hard-codes an offset. Pure (no clock is read).
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The wall clock at an instant in a zone. */
export interface LocalTime {
  /** YYYY-MM-DD in the zone. */
  date: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes after local midnight (`hhmm` writes them as "HH:MM"). */
  minutes: number;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
// Building an Intl.DateTimeFormat is costly (the console benchmark found 12% of its CPU there).
const formatters = new Map<string, Intl.DateTimeFormat>();

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

function parts(at: number, tz: string): Parts {
  const p: Record<string, string> = {};
  for (const x of formatter(tz).formatToParts(new Date(at))) p[x.type] = x.value;
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
    weekday: WEEKDAYS[p.weekday!] ?? 0,
  };
}

const pad2 = (n: number) => String(n).padStart(2, "0");
const ymd = (p: { year: number; month: number; day: number }) => `${String(p.year).padStart(4, "0")}-${pad2(p.month)}-${pad2(p.day)}`;

/** "HH:MM" for a number of minutes after midnight (the form business hours and digests use). */
export function hhmm(minutes: number): string {
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/** The wall clock in `tz` at instant `at` (unix ms). Throws RangeError for an unknown zone. */
export function localTime(at: number, tz: string): LocalTime {
  const p = parts(at, tz);
  return { date: ymd(p), weekday: p.weekday, minutes: p.hour * 60 + p.minute };
}

/** Today's date (YYYY-MM-DD) at the site. */
export function siteToday(now: number, tz: string): string {
  return localTime(now, tz).date;
}

/** Whether `tz` is a time-zone name this Node knows (config validation). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at instant `at`, in ms (New York in winter: -5 h). */
export function zoneOffsetMs(at: number, tz: string): number {
  const p = parts(at, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * The local wall-clock time of `at` in `tz` as a Date whose UTC fields hold it, to the minute
 * (the scheduler's slot keys and its cron matcher, which runs in UTC).
 */
export function wallClock(at: Date, tz: string): Date {
  const p = parts(at.getTime(), tz);
  return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute));
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
  const candidates = [zoneOffsetMs(naive - DAY_MS, tz), zoneOffsetMs(naive, tz), zoneOffsetMs(naive + DAY_MS, tz)];
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

/**
 * The instant local `date` begins in `tz`. Where a zone skips midnight itself (Havana, Santiago,
 * and São Paulo until 2019 move their clocks at 00:00), the day begins at the change, 01:00.
 */
export function localMidnight(date: string, tz: string): number {
  return instantAt(date, 0, 0, tz);
}

/**
 * "2026-11-28 06:55 MST": an instant in the site's zone, with the zone's abbreviation (the console
 * shows site time; the CLI and logs use UTC).
 */
export function siteTimeText(at: number, tz: string): string {
  const l = localTime(at, tz);
  const zone = zoneNames(tz).formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? tz;
  return `${l.date} ${hhmm(l.minutes)} ${zone}`;
}

const zoneNameFormatters = new Map<string, Intl.DateTimeFormat>();
function zoneNames(tz: string): Intl.DateTimeFormat {
  let f = zoneNameFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "short" });
    zoneNameFormatters.set(tz, f);
  }
  return f;
}

// --- Calendar dates (no zone: a YYYY-MM-DD is a day, whatever its length in hours).

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real calendar date written YYYY-MM-DD (years 1900–2200). */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || y > 2200) return false;
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function fields(isoDate: string): [number, number, number] {
  return isoDate.split("-").map(Number) as [number, number, number];
}

/** Adds calendar days to a YYYY-MM-DD date (negative goes back). */
export function addDays(isoDate: string, days: number): string {
  const [y, m, d] = fields(isoDate);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Adds months; a day past the target month's end becomes its last day (31 Jan + 1 → 28/29 Feb). */
export function addMonths(isoDate: string, months: number): string {
  const [y, m, d] = fields(isoDate);
  const t = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(d, last));
  return t.toISOString().slice(0, 10);
}

/** Adds years; 29 February becomes 28 February in a non-leap year. */
export function addYears(isoDate: string, years: number): string {
  return addMonths(isoDate, 12 * years);
}

/** Whole days from `a` to `b` (YYYY-MM-DD), negative when b is earlier. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday, for a calendar date. */
export function weekdayOf(isoDate: string): number {
  const [y, m, d] = fields(isoDate);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The calendar month before the one `isoDate` falls in: first and last day, and "YYYY-MM". */
export function previousMonth(isoDate: string): { from: string; to: string; month: string } {
  const to = addDays(`${isoDate.slice(0, 7)}-01`, -1);
  return { from: `${to.slice(0, 7)}-01`, to, month: to.slice(0, 7) };
}
