/**
 * Seeds a check run as the console reads it back: the observation and the source's finding
 * state (what record() writes for a monitor run), without alerts or outbox rows. For console
 * and scorecard tests that need "the firewall says X now" and not the alert engine.
 */
import type { Db } from "../../src/agent/store/db.js";
import { writeFindingState } from "../../src/agent/store/findings.js";
import { insertObservation, type ObservationRecord } from "../../src/agent/store/observations.js";

/** Inserts the observation and replaces the source's finding state with its findings. */
export function seedObservation(db: Db, o: ObservationRecord): number {
  return db.transaction(() => {
    const id = insertObservation(db, o);
    writeFindingState(db, o.monitor, o.findings, o.startedAt, true);
    return id;
  })();
}
