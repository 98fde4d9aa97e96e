/**
 * GPIO input through fake `gpiomon` / `gpioget` executables put first on PATH: they print the
 * recorded lines of test/fixtures/doors/gpio (v1 and v2 formats), with pauses, and record their
 * argv. The real exec module runs them; nothing touches the host's GPIO.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Debouncer, GpioDoorInput, gpioArgs } from "../../../src/agent/doors/gpio.js";
import { recentDoorEvents } from "../../../src/agent/store/doors.js";
import { engineFor, memoryDb, openAlerts, quiet } from "./helpers.js";

const FIX = join(import.meta.dirname, "../../fixtures/doors/gpio");
const fixtureLines = (name: string) => readFileSync(join(FIX, name), "utf8").split("\n").filter(Boolean);

let dir: string;
const savedPath = process.env.PATH;

/** Writes the fakes; `timeline` lines are printed in order, `#sleep S` pauses. */
function fakeTools(version: "v1" | "v2", gpioget: string, timeline: string[]): string {
  const d = mkdtempSync(join(dir, `${version}-`));
  writeFileSync(join(d, "version.txt"), readFileSync(join(FIX, `version-${version}.txt`)));
  writeFileSync(join(d, "gpioget.txt"), readFileSync(join(FIX, "gpioget", gpioget)));
  writeFileSync(join(d, "timeline.txt"), `${timeline.join("\n")}\n`);
  const mon = `#!/bin/sh
printf 'gpiomon %s\\n' "$*" >> "${d}/argv.log"
case "$1" in --version|-v) cat "${d}/version.txt"; exit 0;; esac
while IFS= read -r line; do
  case "$line" in "#sleep "*) sleep "\${line#\\#sleep }";; *) printf '%s\\n' "$line";; esac
done < "${d}/timeline.txt"
exec sleep 600
`;
  const get = `#!/bin/sh
printf 'gpioget %s\\n' "$*" >> "${d}/argv.log"
cat "${d}/gpioget.txt"
`;
  writeFileSync(join(d, "gpiomon"), mon);
  writeFileSync(join(d, "gpioget"), get);
  chmodSync(join(d, "gpiomon"), 0o755);
  chmodSync(join(d, "gpioget"), 0o755);
  process.env.PATH = [d, savedPath].join(delimiter);
  return d;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gh-gpio-"));
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

const NIGHT = Date.parse("2026-11-28T03:00:00Z"); // Fri 22:00 in New York: after hours

function setup(activeLow: boolean) {
  const db = memoryDb();
  const engine = engineFor(
    db,
    { business_hours: { "mon-fri": "07:00-19:00" }, sensors: [{ id: "back-door", name: "Back door", input: { gpio: { chip: "gpiochip0", line: 17, active_low: activeLow, debounce: "50ms" } } }] },
    () => NIGHT,
  );
  return { db, engine };
}

describe("GPIO input with fake libgpiod tools", () => {
  let input: GpioDoorInput | undefined;
  afterEach(async () => {
    await input?.stop();
    input = undefined;
  });

  it.each([
    ["v1", "gpiomon-v1/door-cycle.txt", "v1-low.txt", false, ["gpiomon --version", "gpioget gpiochip0 17", "gpiomon --line-buffered gpiochip0 17"]],
    ["v2", "gpiomon-v2/door-cycle.txt", "v2-active.txt", true, ["gpiomon --version", "gpioget --chip gpiochip0 17", "gpiomon --chip gpiochip0 17"]],
  ] as const)("%s: initial read, bounce debounced, open then closed; garbage lines counted", async (version, events, get, activeLow, argv) => {
    const lines = fixtureLines(events);
    // Open with contact bounce (rising, falling, rising within ~6 ms), then close later.
    const d = fakeTools(version, get, [
      "garbage from a confused tool",
      lines[0]!.replace("offset: 17", "offset: 18").replace(/ 17$/, " 18"), // another line's event
      ...(activeLow ? lines.slice(0, 3).map(invert) : lines.slice(0, 3)),
      "#sleep 0.4",
      activeLow ? invert(lines[3]!) : lines[3]!,
    ]);
    const { db, engine } = setup(activeLow);
    input = new GpioDoorInput({ sensor: engine.sensors.get("back-door") as never, engine, log: quiet });
    await input.start();
    expect(input.version).toBe(version === "v1" ? 1 : 2);
    await vi.waitFor(() => expect(recentDoorEvents(db).length).toBe(3), { timeout: 10_000, interval: 20 });
    const evs = recentDoorEvents(db).reverse();
    // v1: gpioget 0 with active_low false → closed; v2: "active" (1) with active_low → closed.
    expect(evs.map((e) => [e.source, e.state, e.outcome, e.initial])).toEqual([
      ["gpio", "closed", "closed", true],
      ["gpio", "open", "alarm", false],
      ["gpio", "closed", "closed", false],
    ]);
    expect(engine.stats().malformedByReason).toEqual({ "not a gpiomon event line": 1, "event for another line": 1 });
    expect(readFileSync(join(d, "argv.log"), "utf8").trim().split("\n")).toEqual(argv);
  });

  it("gpiomon exiting is restarted: the state is read again and edges followed", async () => {
    const d = fakeTools("v1", "v1-low.txt", []);
    // First run: one opening edge, then the tool dies. Later runs: the closing edge, then wait.
    writeFileSync(
      join(d, "gpiomon"),
      `#!/bin/sh
printf 'gpiomon %s\\n' "$*" >> "${d}/argv.log"
case "$1" in --version|-v) cat "${d}/version.txt"; exit 0;; esac
if [ ! -e "${d}/ran" ]; then
  : > "${d}/ran"
  echo 'event:  RISING EDGE offset: 17 timestamp: [1764298245.118374560]'
  exit 1
fi
echo 'event: FALLING EDGE offset: 17 timestamp: [1764298391.502113640]'
exec sleep 600
`,
    );
    // gpioget: 0 (closed) the first time, 1 (open) after the restart.
    writeFileSync(
      join(d, "gpioget"),
      `#!/bin/sh
printf 'gpioget %s\\n' "$*" >> "${d}/argv.log"
if [ -e "${d}/got" ]; then echo 1; else : > "${d}/got"; echo 0; fi
`,
    );
    const { db, engine } = setup(false);
    input = new GpioDoorInput({ sensor: engine.sensors.get("back-door") as never, engine, log: quiet, restartMs: 300 }); // well past the 50 ms debounce of the first edge
    await input.start();
    await vi.waitFor(() => expect(recentDoorEvents(db).length).toBe(4), { timeout: 10_000, interval: 20 });
    // gpiomon died once (input_error raised), then the restart read the line (resolved).
    expect(db.prepare("SELECT rule, state FROM alerts WHERE rule = 'doors.input_error'").all()).toEqual([{ rule: "doors.input_error", state: "resolved" }]);
    expect(recentDoorEvents(db).reverse().map((e) => [e.state, e.initial, e.outcome])).toEqual([
      ["closed", true, "closed"],
      ["open", false, "alarm"],
      ["open", true, "no_change"],
      ["closed", false, "closed"],
    ]);
    expect(readFileSync(join(d, "argv.log"), "utf8").trim().split("\n")).toEqual([
      "gpiomon --version",
      "gpioget gpiochip0 17",
      "gpiomon --line-buffered gpiochip0 17",
      "gpioget gpiochip0 17",
      "gpiomon --line-buffered gpiochip0 17",
    ]);
  });

  it("gpiomon missing: start fails with a clear error, nothing recorded", async () => {
    process.env.PATH = "/nonexistent";
    const { db, engine } = setup(false);
    input = new GpioDoorInput({ sensor: engine.sensors.get("back-door") as never, engine, log: quiet });
    await expect(input.start()).rejects.toThrow(/gpiomon: not installed/);
    expect(recentDoorEvents(db)).toEqual([]);
    expect(openAlerts(db)).toEqual([expect.objectContaining({ rule: "doors.input_error", subject: "back-door", severity: "warning", message: expect.stringMatching(/^Back door: input not working: gpiomon: not installed/) })]);
    process.env.PATH = savedPath;
  });

  it("argv for both versions never includes a shell or the active-low flag", () => {
    expect(gpioArgs(1, { chip: "gpiochip0", line: 4 })).toEqual({ get: ["gpiochip0", "4"], mon: ["--line-buffered", "gpiochip0", "4"] });
    expect(gpioArgs(2, { chip: "1", line: 4 })).toEqual({ get: ["--chip", "1", "4"], mon: ["--chip", "1", "4"] });
  });
});

/** The same event with the opposite edge (the line is wired the other way round). */
function invert(line: string): string {
  return line
    .replace(" RISING EDGE", "FALLING_TMP")
    .replace("FALLING EDGE", " RISING EDGE")
    .replace("FALLING_TMP", "FALLING EDGE")
    .replace("\trising\t", "\tTMP\t")
    .replace("\tfalling\t", "\trising\t")
    .replace("\tTMP\t", "\tfalling\t");
}

describe("Debouncer (fake timers)", () => {
  afterEach(() => vi.useRealTimers());

  it("reports a level once stable for the window; a bounce inside the window reports nothing", () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    const d = new Debouncer(50, (l) => seen.push(l));
    d.prime(0);
    d.push(1);
    vi.advanceTimersByTime(20);
    d.push(0); // bounced back
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([]);
    d.push(1);
    vi.advanceTimersByTime(10);
    d.push(0);
    vi.advanceTimersByTime(10);
    d.push(1);
    vi.advanceTimersByTime(49);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([1]);
    d.push(1); // same level again: nothing
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([1]);
    d.push(0);
    d.cancel();
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([1]);
    expect(d.level).toBe(1);
  });

  it("a zero window reports at once", () => {
    const seen: number[] = [];
    const d = new Debouncer(0, (l) => seen.push(l));
    d.push(1);
    d.push(1);
    d.push(0);
    expect(seen).toEqual([1, 0]);
  });
});
