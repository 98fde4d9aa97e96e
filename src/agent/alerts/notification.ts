/**
 * The snapshot every channel delivers: written to the outbox with the state change, so what is
 * sent later is what was true then. Never put secrets in it.
 */
import type { FactChange } from "../evaluator.js";
import type { Severity } from "./transitions.js";
import type { NotificationEvent } from "../store/outbox.js";

// The `event` column's vocabulary is the store's.
export type { NotificationEvent } from "../store/outbox.js";

/** One alert inside a notice. */
export interface NotificationItem {
  alertId: number | null;
  severity: Severity;
  source: string;
  rule: string;
  subject: string;
  message: string;
  /** When the problem started (unix ms). */
  since: number;
  change?: FactChange;
  /** The checklist control the source evidences (firewall, physical, …), for routing. */
  control?: string;
  /** How often it went good and bad again while open (flap damping). */
  flaps?: number;
}

/** One line of the daily digest: a control and its state now. */
export interface DigestEntry {
  control: string;
  /** pass | warn | fail; "no data" when its evidence has not reported yet; "unwatched" when nothing evidences it. */
  status: "pass" | "warn" | "fail" | "no data" | "unwatched";
  /** Open alerts on the control. */
  open: number;
  detail: string;
}

/** A notice as written to the outbox and delivered by every channel. */
export interface Notification {
  event: NotificationEvent;
  site: string;
  /** The box's host name, so a recipient of several sites' mail knows which machine to look at. */
  host?: string;
  /** When the notification was created (unix ms). */
  at: number;
  items: NotificationItem[];
  consoleUrl?: string;
  /** Event "digest": every control's state now; event "report": each control's worst in the month. */
  digest?: DigestEntry[];
  /** Only for event "report": the report files and their seal. */
  report?: ReportNotice;
}

/** The monthly report as announced: where it is and how to check it is the one generated. */
export interface ReportNotice {
  month: string;
  from: string;
  to: string;
  htmlPath: string;
  jsonPath: string;
  /** Digest of the report's canonical content, printed in the report itself. */
  contentSha256: string;
  /** Fingerprint of the box's report-signing key (printed in the report too). */
  keyFingerprint?: string;
  link?: string;
  counts: { green: number; amber: number; red: number; grey: number };
  /** Set when the period started before Gatehouse was installed. */
  installedAt?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** The highest severity among the items (a resolved notice carries the severity it had). */
export function topSeverity(n: Notification): Severity {
  return n.items.reduce<Severity>((s, i) => (SEVERITY_RANK[i.severity] > SEVERITY_RANK[s] ? i.severity : s), "info");
}

/** Whether `s` meets a channel's minimum severity. */
export function meetsSeverity(s: Severity, min: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[min];
}
