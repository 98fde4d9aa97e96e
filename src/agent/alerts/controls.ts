/**
 * Which checklist control an alert source evidences, for routing ("doors to the office
 * manager, firewall to IT") and for the daily digest: the control registry's answer.
 */
import { CONTROL_IDS, type ControlId } from "../../monitors/monitor.js";
import { MONITORS } from "../../monitors/index.js";
import { controlRegistry, type SourceDeclaration } from "../controls/index.js";

/**
 * The source → control mapping of the registry: monitors by their `.control`, doors → physical.
 * Unknown sources (gatehouse itself) map to undefined and reach only unfiltered channels.
 */
export function controlMapper(monitors: readonly SourceDeclaration[] = MONITORS): (source: string) => ControlId | undefined {
  const registry = controlRegistry(monitors);
  return (source) => registry.controlOfSource(source) as ControlId | undefined;
}

/** Every control, in checklist order (the digest lists them all, watched or not). */
export const ALL_CONTROLS: readonly ControlId[] = CONTROL_IDS;
