/**
 * Schedules monitors in the site's time zone. Each monitor runs isolated: one that throws or
 * hangs never delays the others, and one monitor never overlaps itself.
 *
 * node-cron parses and matches the expressions, but its own timer loses runs around
 * daylight-saving changes (test/agent/scheduler-dst.test.ts recorded it: node-cron 4.6 skips
 * the repeated hour when clocks fall back, so a "*\/5" firewall check goes blind for an hour,
 * and skips a job pinned inside the missing hour when clocks spring forward). So the timer here
 * is our own: one tick per real (UTC) minute, each job matched against the local wall clock.
 * Rules, as in Vixie cron: a job with a wildcard hour runs at every matching real minute
 * (both 01:05s on the night clocks fall back); a job pinned to an hour runs once per local
 * wall-clock slot (01:30 once, not twice) and, when its time falls in a spring-forward gap,
 * runs once right after the change. A tick never runs the same minute twice, so nothing spins.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../kit/log.js";
import { MINUTE_MS, wallClock } from "../kit/time.js";

export interface Job {
  id: string;
  schedule: string;
  run(): Promise<unknown>;
}

export interface SchedulerOptions {
  timezone: string;
  log: Logger;
  /** Debounce for event-driven re-checks (ms). */
  debounceMs?: number;
}

interface JobState {
  job: Job;
  /** node-cron's matcher, evaluated on wall-clock parts encoded as a UTC date. */
  wall: ScheduledTask;
  pinned: boolean;
  busy: boolean;
  /** A triggered re-check arrived while busy: run once more when done. */
  pending: boolean;
  lastSlot: string | undefined;
  debounce: NodeJS.Timeout | undefined;
  runs: number;
  skipped: number;
}

const FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"] as const;

/**
 * Why `expr` cannot be scheduled, in words a user can act on; undefined when it can. The one
 * check for `config check`, `serve` and every built-in job. Stricter than node-cron's own
 * validate: a downward range (`5-2`) is refused rather than never matching, and a seconds
 * field other than 0 is refused because this scheduler ticks once a minute (it would never run).
 */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  if (fields.length === 6 && fields[0] !== "0") return "a seconds field other than 0 never runs (jobs run at most once a minute)";
  const named = fields.slice(fields.length - 5);
  for (const [i, field] of named.entries()) {
    for (const part of field.split(",")) {
      const [range, step] = part.split("/");
      if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `${FIELD_NAMES[i]} "${part}": the step must be a whole number of at least 1`;
      const bounds = /^(\d+)-(\d+)$/.exec(range ?? "");
      if (bounds && Number(bounds[1]) > Number(bounds[2])) return `${FIELD_NAMES[i]} "${part}": a range must go upward (${bounds[2]}-${bounds[1]}?)`;
    }
  }
  if (!cron.validate(expr)) return "not a valid cron expression (minute 0-59, hour 0-23, day 1-31, month 1-12 or jan-dec, weekday 0-7 or sun-sat)";
  return undefined;
}

/** Whether the cron hour field pins the job to specific hours (not `*` or `*\/n`). */
export function pinnedHour(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  const hour = fields.length === 6 ? fields[2] : fields[1];
  return hour !== undefined && !/^\*(\/\d+)?$/.test(hour);
}

/** The slot a run at `at` belongs to (see the module comment). */
export function slotKey(expr: string, at: Date, timezone: string): string {
  if (!pinnedHour(expr)) return `utc:${Math.floor(at.getTime() / MINUTE_MS)}`;
  return `local:${wallClock(at, timezone).toISOString().slice(0, 16)}`;
}

/** Longest spring-forward gap searched for skipped pinned slots (real zones use 30–60 min). */
const MAX_GAP_MINUTES = 180;

export class Scheduler {
  private readonly jobs = new Map<string, JobState>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private lastTick: number | undefined;

  constructor(private readonly opts: SchedulerOptions) {}

  /** Adds a job; validates its cron expression now (a bad one is a start-up error). */
  add(job: Job): void {
    if (this.jobs.has(job.id)) throw new Error(`job "${job.id}" is scheduled twice`);
    const problem = cronProblem(job.schedule);
    if (problem) throw new Error(`job "${job.id}": invalid cron expression "${job.schedule}": ${problem}`);
    const wall = cron.createTask(job.schedule, () => undefined, { timezone: "UTC", name: `${job.id}-matcher` });
    this.jobs.set(job.id, { job, wall, pinned: pinnedHour(job.schedule), busy: false, pending: false, lastSlot: undefined, debounce: undefined, runs: 0, skipped: 0 });
  }

  /** Starts the minute ticker. */
  start(): void {
    this.stopping = false;
    this.armTimer();
  }

  private armTimer(): void {
    if (this.stopping) return;
    const now = Date.now();
    const next = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS;
    this.timer = setTimeout(() => {
      this.tick(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS);
      this.armTimer();
    }, next - now);
  }

  /** Evaluates every job for the real minute starting at `minute` (unix ms). */
  tick(minute: number): void {
    if (this.lastTick !== undefined && minute <= this.lastTick) return;
    const prev = this.lastTick;
    this.lastTick = minute;
    const at = new Date(minute);
    const wall = wallClock(at, this.opts.timezone);
    // Wall-clock minutes that never happened between the previous tick and this one.
    const gap: Date[] = [];
    if (prev !== undefined && minute - prev === MINUTE_MS) {
      const prevWall = wallClock(new Date(prev), this.opts.timezone).getTime();
      for (let t = prevWall + MINUTE_MS; t < wall.getTime() && gap.length < MAX_GAP_MINUTES; t += MINUTE_MS) gap.push(new Date(t));
    }
    for (const s of this.jobs.values()) {
      if (s.wall.match(wall)) this.fire(s, slotKey(s.job.schedule, at, this.opts.timezone));
      else if (s.pinned) {
        const missed = gap.find((g) => s.wall.match(g));
        if (missed) this.fire(s, `local:${missed.toISOString().slice(0, 16)}`);
      }
    }
  }

  private fire(s: JobState, slot: string): void {
    if (slot === s.lastSlot) {
      s.skipped++;
      this.opts.log.debug({ job: s.job.id, slot }, "duplicate trigger for the same slot ignored");
      return;
    }
    s.lastSlot = slot;
    if (s.busy) {
      s.skipped++;
      this.opts.log.warn({ job: s.job.id }, "previous run still going; this slot is skipped");
      return;
    }
    void this.execute(s);
  }

  /** Event-driven re-check (e.g. the firewall changed): debounced, never overlapping. */
  trigger(id: string): void {
    const s = this.jobs.get(id);
    if (!s || this.stopping) return;
    clearTimeout(s.debounce);
    s.debounce = setTimeout(() => {
      if (s.busy) s.pending = true;
      else void this.execute(s);
    }, this.opts.debounceMs ?? 500);
  }

  /** Runs a job now unless it is already running; resolves when that run ends. */
  async runNow(id: string): Promise<void> {
    const s = this.jobs.get(id);
    if (!s) throw new Error(`no job "${id}"`);
    if (s.busy) return;
    await this.execute(s);
  }

  private async execute(s: JobState): Promise<void> {
    s.busy = true;
    s.runs++;
    try {
      await s.job.run();
    } catch (e) {
      this.opts.log.error({ job: s.job.id, err: (e as Error).message }, "job failed");
    } finally {
      s.busy = false;
    }
    if (s.pending && !this.stopping) {
      s.pending = false;
      await this.execute(s);
    }
  }

  /** Counts per job, for metrics and tests. */
  stats(): Record<string, { runs: number; skipped: number; busy: boolean }> {
    return Object.fromEntries([...this.jobs].map(([id, s]) => [id, { runs: s.runs, skipped: s.skipped, busy: s.busy }]));
  }

  /** Stops timers and waits (up to `graceMs`) for runs in hand to finish. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    for (const s of this.jobs.values()) {
      clearTimeout(s.debounce);
      await s.wall.destroy();
    }
    const deadline = Date.now() + graceMs;
    while ([...this.jobs.values()].some((s) => s.busy) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
