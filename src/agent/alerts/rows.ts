/**
 * An alert as the CLI and the console show it: the store's row (`store/alerts.ts`) mapped to
 * camelCase once, so a new column is added in one place.
 */
import type { AlertRow } from "../store/alerts.js";

export type { AlertRow } from "../store/alerts.js";

/** An alert as the console shows it: the columns that need no renaming as they are, the rest in camelCase. */
export interface AlertView extends Pick<AlertRow, "id" | "key" | "source" | "rule" | "subject" | "severity" | "state" | "message"> {
  openedAt: number;
  lastNotifiedAt: number | null;
  resolvedAt: number | null;
  ack: { by: string; at: number; note: string } | null;
  flapCount: number;
  /** While open: the finding is good again since then, resolution pending the flap window. */
  goodSince: number | null;
  /** The silence that held back its last notice, if any. */
  silencedBy: number | null;
}

/** Maps a row to its view; an acknowledgement needs both who and when. */
export const toAlertView = (r: AlertRow): AlertView => ({
  id: r.id,
  key: r.key,
  source: r.source,
  rule: r.rule,
  subject: r.subject,
  severity: r.severity,
  state: r.state,
  message: r.message,
  openedAt: r.opened_at,
  lastNotifiedAt: r.last_notified_at,
  resolvedAt: r.resolved_at,
  ack: r.ack_by !== null && r.ack_at !== null ? { by: r.ack_by, at: r.ack_at, note: r.ack_note ?? "" } : null,
  flapCount: r.flap_count,
  goodSince: r.good_since,
  silencedBy: r.silenced_by,
});
