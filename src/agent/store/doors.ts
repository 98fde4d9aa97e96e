// --- alerts reads (the metrics endpoint; the doors area owns the rest of this module)
// (Imports aliased so this section merges below the module's own imports without a clash.)
import type { Db as AlertsDb } from "./db.js";
import { statementsFor as alertsStatementsFor } from "./statements.js";

/** A door sensor's state as the metrics endpoint exports it. */
export interface DoorSensorGauge {
  sensorId: string;
  state: "open" | "closed" | "unknown";
  online: boolean | null;
  lastSeenAt: number | null;
}

const gaugeStatements = alertsStatementsFor((db) => ({
  sensors: db.prepare<[], { sensorId: string; state: DoorSensorGauge["state"]; online: number | null; lastSeenAt: number | null }>(
    "SELECT sensor_id AS sensorId, state, online, last_seen_at AS lastSeenAt FROM door_state ORDER BY sensor_id",
  ),
}));

/** Every door sensor's state, online flag and last message time, by sensor id. */
export function doorSensorGauges(db: AlertsDb): DoorSensorGauge[] {
  return gaugeStatements(db).sensors.all().map((r) => ({ ...r, online: r.online === null ? null : r.online === 1 }));
}
