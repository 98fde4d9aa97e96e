/** Shared bits of the door tests: an in-memory store, a config, an engine on a fake clock. */
import { openDatabase, type Db } from "../../../src/agent/store/db.js";
import { parseDoorsConfig } from "../../../src/agent/doors/config.js";
import { DoorEngine } from "../../../src/agent/doors/engine.js";
import type { Logger } from "../../../src/monitors/monitor.js";
import type { AlertPolicy } from "../../../src/agent/alerts/config.js";

export const TZ = "America/New_York";

export const quiet: Logger & { lines: Array<{ level: string; obj: unknown; msg?: string }> } = Object.assign(
  {
    lines: [] as Array<{ level: string; obj: unknown; msg?: string }>,
  },
  {
    debug() {},
    info() {},
    warn(obj: object | string, msg?: string) {
      quiet.lines.push({ level: "warn", obj, ...(msg ? { msg } : {}) });
    },
    error(obj: object | string, msg?: string) {
      quiet.lines.push({ level: "error", obj, ...(msg ? { msg } : {}) });
    },
  },
);

export const BASE_DOORS = {
  business_hours: { "mon-fri": "07:00-19:00", sat: "08:00-12:00" },
  holidays: ["2026-12-25"],
  sensors: [
    { id: "server-room", name: "Server room", held_open_after: "2m", offline_after: "2h", input: { mqtt: { topic: "zigbee2mqtt/server_room_door", field: "contact", open_when: false } } },
    { id: "closet", name: "Wiring closet", policy: "always", input: { mqtt: { topic: "shellies/closet/sensor/state", format: "shelly" } } },
    { id: "back-door", name: "Back door", input: { gpio: { chip: "gpiochip0", line: 17, active_low: true } } },
  ],
};

export function memoryDb(): Db {
  return openDatabase(":memory:");
}

export interface Clock {
  now: number;
  set(iso: string): void;
  advance(ms: number): void;
}

export function clock(iso: string): Clock {
  const c: Clock = {
    now: Date.parse(iso),
    set(s) {
      c.now = Date.parse(s);
    },
    advance(ms) {
      c.now += ms;
    },
  };
  return c;
}

/** No flap damping and no group wait, so each rule's effect shows at once. */
export const IMMEDIATE: AlertPolicy = { renotifyAfterMs: 4 * 3_600_000, flapWindowMs: 0, groupWaitMs: 0 };

export function engineFor(
  db: Db,
  doorsRaw: unknown = BASE_DOORS,
  now: () => number = Date.now,
  onEnqueued?: (ids: number[]) => void,
  policy: AlertPolicy | undefined = IMMEDIATE,
): DoorEngine {
  return new DoorEngine({
    ...(policy ? { policy } : {}),
    db,
    doors: parseDoorsConfig(doorsRaw),
    timezone: TZ,
    site: "Acme Answering",
    routes: [{ channel: "email", minSeverity: "warning" }],
    log: quiet,
    now,
    ...(onEnqueued ? { onEnqueued } : {}),
  });
}

export interface AlertRow {
  id: number;
  rule: string;
  subject: string;
  severity: string;
  state: string;
  message: string;
}

export function alerts(db: Db, state?: string): AlertRow[] {
  return (state
    ? db.prepare("SELECT id, rule, subject, severity, state, message FROM alerts WHERE source = 'doors' AND state = ? ORDER BY id").all(state)
    : db.prepare("SELECT id, rule, subject, severity, state, message FROM alerts WHERE source = 'doors' ORDER BY id").all()) as AlertRow[];
}

export function openAlerts(db: Db): AlertRow[] {
  return alerts(db).filter((a) => a.state !== "resolved");
}

export function outbox(db: Db): Array<{ id: number; alert_id: number | null; event: string; channel: string; created_at: number }> {
  return db.prepare("SELECT id, alert_id, event, channel, created_at FROM outbox ORDER BY id").all() as never;
}
