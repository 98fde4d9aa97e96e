/**
 * Wires the door engine and its inputs from the loaded config, for the daemon. One call starts
 * everything; `stop()` stops the inputs first, then the engine's timer.
 */
import type { Hono } from "hono";
import type { Logger } from "../../kit/log.js";
import type { AlertPolicy } from "../alerts/config.js";
import type { ChannelRoute } from "../alerts/engine.js";
import { UserError } from "../../kit/errors.js";
import type { Db } from "../store/db.js";
import { inputKind, type DoorsSiteConfig, type GpioInputConfig, type SensorConfig } from "./config.js";
import { DoorEngine } from "./engine.js";
import { GpioDoorInput } from "./gpio.js";
import type { MqttDoorInput } from "./mqtt.js";
import { pruneDoorEvents } from "../store/doors.js";
import { doorWebhookApp, loadWebhookSecrets } from "./webhook.js";

export interface DoorsService {
  engine: DoorEngine;
  mqtt: MqttDoorInput | undefined;
  gpio: GpioDoorInput[];
  /** The webhook sub-app for the console to mount (`app.route("/", doors.webhook)`). */
  webhook: Hono;
  stop(): Promise<void>;
}

export interface StartDoorsOptions {
  db: Db;
  config: DoorsSiteConfig;
  routes: readonly ChannelRoute[];
  consoleUrl?: string;
  policy?: AlertPolicy;
  log: Logger;
  onEnqueued?: () => void;
  now?: () => number;
}

/** Checks what the per-section schemas cannot: an mqtt sensor needs the top-level mqtt section. */
export function checkDoorsWiring(config: Pick<DoorsSiteConfig, "doors" | "mqtt">): void {
  const needsMqtt = config.doors.sensors.filter((s) => inputKind(s) === "mqtt");
  if (needsMqtt.length > 0 && !config.mqtt) {
    throw new UserError(`doors: sensor ${needsMqtt[0]!.id} uses an mqtt input, but the config has no top-level mqtt section (url, username, password_file)`, 3);
  }
}

/** Builds the engine (no inputs): for the CLI and the console. */
export function doorEngine(opts: StartDoorsOptions): DoorEngine {
  return new DoorEngine({
    db: opts.db,
    doors: opts.config.doors,
    timezone: opts.config.timezone,
    site: opts.config.site,
    routes: opts.routes,
    log: opts.log,
    ...(opts.consoleUrl ? { consoleUrl: opts.consoleUrl } : {}),
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.onEnqueued ? { onEnqueued: () => opts.onEnqueued!() } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
}

/** Starts the engine's timer and every input. A GPIO line that cannot be read is logged, not fatal. */
export async function startDoors(opts: StartDoorsOptions): Promise<DoorsService> {
  checkDoorsWiring(opts.config);
  const engine = doorEngine(opts);
  const webhook = doorWebhookApp({ db: opts.db, engine, log: opts.log, secrets: loadWebhookSecrets(engine), ...(opts.now ? { now: opts.now } : {}) });
  const mqttSensors = opts.config.doors.sensors.filter((s) => inputKind(s) === "mqtt");
  // The mqtt client library costs ~14 MiB of resident memory: load it only when a sensor uses it.
  const mqtt =
    mqttSensors.length > 0 && opts.config.mqtt
      ? new (await import("./mqtt.js")).MqttDoorInput({ config: opts.config.mqtt, sensors: mqttSensors, engine, log: opts.log })
      : undefined;
  const gpio = opts.config.doors.sensors
    .filter((s): s is SensorConfig & { input: { gpio: GpioInputConfig } } => inputKind(s) === "gpio")
    .map((sensor) => new GpioDoorInput({ sensor, engine, log: opts.log }));

  engine.start();
  mqtt?.start();
  await Promise.all(
    gpio.map((g) =>
      g.start().catch((e: unknown) => opts.log.error({ err: String(e) }, "door GPIO input could not start (doors.input_error raised)")),
    ),
  );
  return {
    engine,
    mqtt,
    gpio,
    webhook,
    async stop() {
      await Promise.all([mqtt?.stop(), ...gpio.map((g) => g.stop())]);
      engine.stop();
    },
  };
}

/** Retention: deletes door events older than `retentionMs` and webhook ids older than a day. */
export function pruneDoorData(db: Db, now: number, retentionMs: number): number {
  return pruneDoorEvents(db, now - retentionMs, { idsCutoff: now - 86_400_000 });
}
