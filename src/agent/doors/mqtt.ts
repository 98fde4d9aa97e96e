/**
 * The MQTT door input: one client for every MQTT sensor, QoS 1, a persistent session (so the
 * broker queues messages while we reconnect), retained messages as the initial state, TLS and a
 * password read from a file, reconnect with exponential backoff, and a payload size limit.
 * Each message is handled synchronously and in isolation: a bad one is counted and dropped.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../kit/log.js";
import type { MqttConfig, SensorConfig } from "./config.js";
import type { DoorEngine } from "./engine.js";
import { mqttRoutes, type TopicRoute } from "./mqtt-routes.js";
import { MAX_PAYLOAD_BYTES } from "./parse.js";
import { payloadDigest } from "../store/doors.js";

// The routing is pure and has its own module, so the config loader checks it without loading mqtt.
export { mqttRoutes, type TopicRoute };

export interface MqttInputOptions {
  config: MqttConfig;
  sensors: readonly SensorConfig[];
  engine: Pick<DoorEngine, "handle" | "refuse" | "inputStatus">;
  log: Logger;
  /** First reconnect delay (default 1 s), doubled after each failure up to reconnectMaxMs (default 60 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  maxPayloadBytes?: number;
}

export class MqttDoorInput {
  readonly routes: Map<string, TopicRoute>;
  private client: MqttClient | undefined;
  private delay: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  /** Connections made so far (1 after the first, 2 after a reconnect…). */
  connects = 0;

  constructor(private readonly opts: MqttInputOptions) {
    this.routes = mqttRoutes(opts.sensors);
    this.minDelay = opts.reconnectMinMs ?? 1000;
    this.maxDelay = opts.reconnectMaxMs ?? 60_000;
    this.delay = this.minDelay;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects (without waiting for the broker: it may be down now and come up later). */
  start(): void {
    if (this.client || this.routes.size === 0) return;
    const c = this.opts.config;
    const options: IClientOptions = {
      clientId: c.client_id ?? `gatehouse-${hostname().replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40) || "agent"}`,
      clean: false,
      protocolVersion: 4,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: this.minDelay,
      resubscribe: true,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password_file ? { password: readSecret(c.password_file) } : {}),
      ...(c.ca_file ? { ca: readFileSync(c.ca_file) } : {}),
      rejectUnauthorized: true,
    };
    const client = mqtt.connect(c.url, options);
    this.client = client;
    const topics = [...this.routes.keys()];
    client.on("connect", (ack) => {
      this.connects++;
      this.delay = this.minDelay;
      client.options.reconnectPeriod = this.minDelay;
      this.opts.log.info({ url: redactUrl(c.url), sessionPresent: ack.sessionPresent, topics: topics.length }, "mqtt connected");
      this.opts.engine.inputStatus(this.sensorIds(), true, "connected to the MQTT broker");
      if (!ack.sessionPresent) {
        client.subscribe(topics, { qos: 1 }, (err) => {
          if (err) this.opts.log.error({ err: err.message }, "mqtt subscribe failed");
        });
      }
    });
    // Runs before the client schedules its reconnect, so the new delay applies to it.
    client.prependListener("close", () => {
      client.options.reconnectPeriod = this.delay;
      this.delay = Math.min(this.delay * 2, this.maxDelay);
    });
    client.on("offline", () => this.opts.log.warn({ url: redactUrl(c.url) }, "mqtt disconnected; reconnecting with backoff"));
    client.on("error", (e) => {
      this.opts.log.warn({ err: e.message }, "mqtt error");
      // A refused login or a bad certificate will not fix itself: say so on the sensors.
      if (/not authori[sz]ed|bad user ?name or password|certificate|self[- ]signed|unable to verify/i.test(e.message)) {
        this.opts.engine.inputStatus(this.sensorIds(), false, `MQTT broker: ${e.message}`);
      }
    });
    client.on("message", (topic, payload, packet) =>
      this.onMessage(topic, payload, packet.retain === true, packet.qos > 0 && packet.messageId !== undefined ? { id: packet.messageId, dup: packet.dup === true } : undefined),
    );
  }

  private sensorIds(): string[] {
    return [...new Set([...this.routes.values()].map((r) => r.sensorId))];
  }

  /**
   * Handles one message; never throws (a throw here would stall the client). `packet` (QoS 1)
   * gives the idempotency key: after a crash between storing and acknowledging, the broker
   * resends the message with DUP set, and the engine does not store it twice.
   */
  onMessage(topic: string, payload: Uint8Array, retained: boolean, packet?: { id: number; dup: boolean }): void {
    if (!this.client) return; // stopping: the store may already be closed
    const route = this.routes.get(topic);
    try {
      if (!route) {
        this.opts.engine.refuse(undefined, "mqtt", "unexpected topic", payload);
        return;
      }
      if (payload.length > (this.opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES)) {
        this.opts.engine.refuse(route.sensorId, "mqtt", "payload too large", payload);
        return;
      }
      if (payload.length === 0 && retained) return; // a cleared retained message
      const parsed = route.parse(payload);
      if (!parsed.ok) {
        this.opts.engine.refuse(route.sensorId, "mqtt", parsed.reason, payload);
        return;
      }
      const delivery = packet ? { delivery: { key: `mqtt:${packet.id}:${payloadDigest(payload)}`, redelivered: packet.dup } } : {};
      this.opts.engine.handle({ sensorId: route.sensorId, source: "mqtt", payload, signal: parsed.value, initial: retained, ...delivery });
    } catch (e) {
      this.opts.log.error({ topic, err: String(e) }, "door event could not be recorded");
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    await new Promise<void>((r) => c.end(false, {}, () => r()));
  }
}

function readSecret(file: string): string {
  return readFileSync(file, "utf8").replace(/\r?\n$/, "");
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}
