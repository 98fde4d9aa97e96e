/**
 * Which MQTT topics the door sensors listen on and how each topic's payloads are read. Pure, and
 * apart from the MQTT client (mqtt.ts), so the config loader can check the routing (two sensors
 * on one topic) without loading the mqtt library into every command and the daemon.
 */
import type { MqttInputConfig, SensorConfig } from "./config.js";
import type { DoorSignal } from "./transitions.js";
import { parseAvailability, parseGeneric, parseShellyBattery, parseShellyOnline, parseShellyState, parseZigbee2mqtt, type Parsed } from "./parse.js";

type Parser = (payload: Uint8Array) => Parsed<DoorSignal>;

/** A topic the input subscribes to and how its payloads are read. */
export interface TopicRoute {
  topic: string;
  sensorId: string;
  parse: Parser;
}

/** The topics to subscribe to for these sensors. Throws when two sensors share a topic. */
export function mqttRoutes(sensors: readonly SensorConfig[]): Map<string, TopicRoute> {
  const routes = new Map<string, TopicRoute>();
  const add = (topic: string, sensorId: string, parse: Parser) => {
    const other = routes.get(topic);
    if (other) throw new Error(`MQTT topic ${topic} is used by both ${other.sensorId} and ${sensorId}`);
    routes.set(topic, { topic, sensorId, parse });
  };
  for (const s of sensors) {
    if (!("mqtt" in s.input)) continue;
    const m: MqttInputConfig = s.input.mqtt;
    if (m.format === "zigbee2mqtt") {
      add(m.topic, s.id, (p) => parseZigbee2mqtt(p, m));
      add(`${m.topic}/availability`, s.id, parseAvailability);
    } else if (m.format === "shelly") {
      add(m.topic, s.id, parseShellyState);
      const base = /^(.+)\/sensor\/state$/.exec(m.topic)?.[1];
      if (base) {
        add(`${base}/sensor/battery`, s.id, parseShellyBattery);
        add(`${base}/online`, s.id, parseShellyOnline);
      }
    } else {
      add(m.topic, s.id, (p) => parseGeneric(p, m));
    }
  }
  return routes;
}

