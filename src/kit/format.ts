/**
 * How durations, sizes and instants are written for people, in one place so that a message, a
 * mail, the CLI and the console say "26h" or "5.2 h" the same way. Pure.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from "./time.js";

/**
 * "2m", "1h30m", "3d": the config's own duration syntax (`parseDuration` reads it back), for
 * messages that quote a configured limit. Under a second: "250ms".
 */
export function compactDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ["d", DAY_MS],
    ["h", HOUR_MS],
    ["m", MINUTE_MS],
    ["s", 1000],
  ];
  let rest = ms;
  let out = "";
  for (const [u, n] of units) {
    const q = Math.floor(rest / n);
    if (q > 0) {
      out += `${q}${u}`;
      rest -= q * n;
    }
  }
  return out || `${ms}ms`;
}

/** "40 s", "12 min", "2 h 5 min", "3 days 4 h": how long something lasted, read at a glance. */
export function spokenDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ""}`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

/**
 * "40 min", "5.2 h", "3.1 days": an age as an office manager reads it (one decimal past an hour).
 * `minMinutes` is the least shown ("resolved after 1 min" rather than "0 min").
 */
export function roughAge(ms: number, opts: { minMinutes?: number } = {}): string {
  const h = ms / HOUR_MS;
  if (h < 1) return `${Math.max(opts.minMinutes ?? 0, Math.round(ms / MINUTE_MS))} min`;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} days`;
}

/** Whole days in `ms` ("last changed 12 days ago"), rounded down. */
export function wholeDays(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** "512 B", "1.5 KiB", "20.0 GiB": a size in binary units, one decimal past bytes. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** "2026-11-28T06:55:00Z": ISO 8601 in UTC to the second, unambiguous in forwarded mail and logs. */
export function utcText(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "2026-11-28 06:55": an instant in UTC to the minute, for short CLI and message lines. */
export function utcMinuteText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}
