/**
 * Which checklist control an alert source evidences, for routing ("doors to the office
 * manager, firewall to IT") and for the daily digest.
 */
import { CONTROL_IDS, type ControlId } from "../../monitors/monitor.js";
import { MONITORS } from "../../monitors/index.js";

/** Sources that are not monitors, with their control. */
const NON_MONITOR: Record<string, ControlId> = { doors: "physical" };

/**
 * Builds the source → control mapping: monitors by their `.control`, doors → physical.
 * Unknown sources (gatehouse itself) map to undefined and reach only unfiltered channels.
 */
export function controlMapper(monitors: readonly { id: string; control: ControlId }[] = MONITORS): (source: string) => ControlId | undefined {
  const byId = new Map<string, ControlId>(monitors.map((m) => [m.id, m.control]));
  return (source) => NON_MONITOR[source] ?? byId.get(source);
}

/** Every control, in checklist order (the digest lists them all, watched or not). */
export const ALL_CONTROLS: readonly ControlId[] = CONTROL_IDS;
