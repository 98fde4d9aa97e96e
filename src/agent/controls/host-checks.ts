/**
 * The checks every office computer gets (src/agent/hosts/judge.ts judges them), with the
 * checklist control each one evidences. Declared beside the registry that reads it, like the
 * compliance rule families: the registry sits below every source that records findings.
 */
import type { ControlId } from "../../monitors/monitor.js";

/** The checks every host gets, with the checklist control each one evidences. */
export const HOST_CHECKS = [
  { rule: "hosts.checkin", title: "Checking in", control: null },
  { rule: "hosts.antivirus", title: "Anti-virus", control: "antivirus" },
  { rule: "hosts.updates", title: "Updates", control: "updates" },
  { rule: "hosts.os_eol", title: "OS supported", control: "updates" },
  { rule: "hosts.disk_encryption", title: "Disk encryption", control: "inventory" }, // the control of encryption at rest
  { rule: "hosts.admins", title: "Local administrators", control: "least-privilege" },
  { rule: "hosts.firewall", title: "Firewall", control: "firewall" },
  { rule: "hosts.screen_lock", title: "Screen lock", control: null },
] as const satisfies readonly { rule: string; title: string; control: ControlId | null }[];
export type HostRule = (typeof HOST_CHECKS)[number]["rule"];
