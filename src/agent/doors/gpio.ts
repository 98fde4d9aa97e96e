/**
 * The GPIO door input: a reed switch on the box itself, read through libgpiod's tools (the exec
 * module is the only way to run them). `gpioget` gives the state at start, `gpiomon` the edges;
 * both the v1 (Debian 12: 1.6) and v2 argument and output formats are handled. Edges are
 * debounced: a level is reported once it has held for `debounce` ms. With `active_low` the
 * line is inverted; after that, 1 means open.
 */
import { run, spawnLines, type LineStream, type RunFn } from "../../kit/exec.js";
import type { Logger } from "../../kit/log.js";
import type { GpioInputConfig, SensorConfig } from "./config.js";
import type { DoorEngine } from "./engine.js";
import { parseGpiogetOutput, parseGpiomonLine, parseLibgpiodVersion } from "./parse.js";

/**
 * Reports a level once it has been stable for `ms`; a bounce (a change and back within the
 * window) reports nothing. Timers are injectable so tests use fake ones.
 */
export class Debouncer {
  private pending: { level: 0 | 1; timer: ReturnType<typeof setTimeout> } | undefined;
  private last: 0 | 1 | undefined;

  constructor(
    private readonly ms: number,
    private readonly emit: (level: 0 | 1) => void,
    private readonly timers: { set: typeof setTimeout; clear: typeof clearTimeout } = { set: setTimeout, clear: clearTimeout },
  ) {}

  /** The level last reported (or set as the initial state). */
  get level(): 0 | 1 | undefined {
    return this.last;
  }

  /** Sets the known level without reporting it (a fresh read supersedes a pending edge). */
  prime(level: 0 | 1): void {
    this.cancel();
    this.last = level;
  }

  push(level: 0 | 1): void {
    if (this.pending) this.timers.clear(this.pending.timer);
    this.pending = undefined;
    if (level === this.last) return; // bounced back before settling
    if (this.ms <= 0) {
      this.last = level;
      this.emit(level);
      return;
    }
    const timer = this.timers.set(() => {
      this.pending = undefined;
      this.last = level;
      this.emit(level);
    }, this.ms);
    this.pending = { level, timer };
  }

  cancel(): void {
    if (this.pending) this.timers.clear(this.pending.timer);
    this.pending = undefined;
  }
}

/** argv for the tools of libgpiod major version `v`. */
export function gpioArgs(v: 1 | 2, cfg: Pick<GpioInputConfig, "chip" | "line">): { get: string[]; mon: string[] } {
  const line = String(cfg.line);
  return v === 1
    ? { get: [cfg.chip, line], mon: ["--line-buffered", cfg.chip, line] }
    : { get: ["--chip", cfg.chip, line], mon: ["--chip", cfg.chip, line] };
}

export interface GpioInputOptions {
  sensor: SensorConfig & { input: { gpio: GpioInputConfig } };
  engine: Pick<DoorEngine, "handle" | "refuse" | "inputStatus">;
  log: Logger;
  run?: RunFn;
  /** Delay before restarting gpiomon after it exits (default 5 s, doubled up to 60 s). */
  restartMs?: number;
}

export class GpioDoorInput {
  private stream: LineStream | undefined;
  private stopped = false;
  private readonly debouncer: Debouncer;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  /** libgpiod major version found at start. */
  version: 1 | 2 | undefined;

  constructor(private readonly opts: GpioInputOptions) {
    const g = opts.sensor.input.gpio;
    this.debouncer = new Debouncer(g.debounce, (level) => this.report(level, false, `edge ${level}`));
    this.restartDelay = opts.restartMs ?? 5000;
  }

  private get cfg(): GpioInputConfig {
    return this.opts.sensor.input.gpio;
  }

  private report(level: 0 | 1, initial: boolean, payload: string): void {
    const open = (this.cfg.active_low ? 1 - level : level) === 1;
    try {
      this.opts.engine.handle({ sensorId: this.opts.sensor.id, source: "gpio", payload, signal: { state: open ? "open" : "closed" }, initial });
    } catch (e) {
      this.opts.log.error({ sensor: this.opts.sensor.id, err: String(e) }, "door event could not be recorded");
    }
  }

  /** Detects the tool version, reads the initial level, then follows edges. */
  async start(): Promise<void> {
    this.stopped = false;
    const runFn = this.opts.run ?? run;
    try {
      const ver = await runFn("gpiomon", ["--version"], { timeoutMs: 5000, maxOutputBytes: 4096 });
      this.version = parseLibgpiodVersion(ver.stdout);
      if (!this.version) throw new Error(`gpiomon --version: unrecognised output: ${ver.stdout.slice(0, 80)}`);
    } catch (e) {
      this.opts.engine.inputStatus([this.opts.sensor.id], false, (e as Error).message);
      throw e;
    }
    await this.readInitial(runFn);
    this.follow(runFn);
  }

  private async readInitial(runFn: RunFn): Promise<void> {
    const args = gpioArgs(this.version!, this.cfg);
    try {
      const r = await runFn("gpioget", args.get, { timeoutMs: 5000, maxOutputBytes: 4096 });
      const v = parseGpiogetOutput(r.stdout);
      if (!v.ok) {
        this.opts.engine.refuse(this.opts.sensor.id, "gpio", `gpioget: ${v.reason}`, r.stdout);
        return;
      }
      this.opts.engine.inputStatus([this.opts.sensor.id], true, "gpioget read the line");
      this.debouncer.prime(v.value);
      this.report(v.value, true, r.stdout);
    } catch (e) {
      this.opts.engine.inputStatus([this.opts.sensor.id], false, `gpioget: ${(e as Error).message}`);
      this.opts.log.warn({ sensor: this.opts.sensor.id, err: String(e) }, "gpioget failed; state unknown until the first edge");
    }
  }

  private follow(runFn: RunFn): void {
    if (this.stopped) return;
    const args = gpioArgs(this.version!, this.cfg);
    let stream: LineStream;
    try {
      stream = spawnLines("gpiomon", args.mon, (line) => this.onLine(line), {
        maxLineBytes: 512,
        onStderr: (s) => this.opts.log.warn({ sensor: this.opts.sensor.id, stderr: s.slice(0, 300) }, "gpiomon"),
      });
    } catch (e) {
      this.opts.log.error({ sensor: this.opts.sensor.id, err: String(e) }, "gpiomon could not start");
      this.scheduleRestart(runFn);
      return;
    }
    this.stream = stream;
    void stream.exited.then((code) => {
      if (this.stopped) return;
      this.opts.engine.inputStatus([this.opts.sensor.id], false, `gpiomon exited with code ${code}; restarting`);
      this.opts.log.warn({ sensor: this.opts.sensor.id, code }, "gpiomon exited; restarting");
      this.scheduleRestart(runFn);
    });
  }

  private scheduleRestart(runFn: RunFn): void {
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, 60_000);
    this.restartTimer = setTimeout(() => {
      void this.readInitial(runFn).then(() => this.follow(runFn));
    }, delay);
  }

  /** One line of gpiomon output. */
  onLine(line: string): void {
    const e = parseGpiomonLine(line);
    if (!e.ok || (e.value.offset !== undefined && e.value.offset !== this.cfg.line)) {
      if (line.trim() !== "") this.opts.engine.refuse(this.opts.sensor.id, "gpio", e.ok ? "event for another line" : e.reason, line);
      return;
    }
    this.debouncer.push(e.value.level);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.debouncer.cancel();
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      s.stop();
      await s.exited;
    }
  }
}
