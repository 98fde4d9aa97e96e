/**
 * The one findings pipeline: every source (monitors, door sensors, office computers, the
 * compliance registers) records what it found through `record()`, which writes the source's
 * finding state, its alerts and their outbox rows in one transaction (a savepoint inside the
 * caller's, so an observation or a door event commits together with its consequences).
 */
import { applyFindings, type AlertContext } from "../alerts/engine.js";
import type { Finding } from "../evaluator.js";
import type { Db } from "../store/db.js";
import { writeFindingState } from "../store/findings.js";

export interface RecordOptions {
  /**
   * The findings are the source's whole current set: keys it no longer reports leave the finding
   * state, and their alerts settle. False for a source that reports only what changed (a door
   * event speaks for one sensor's rules): the other keys and their alerts stay as they are.
   */
  complete: boolean;
  /**
   * The source could not look (a monitor's probe failed or is not applicable): its set still
   * replaces the finding state, but open policy and drift alerts stay, since not knowing is not
   * recovering. Only meaningful with `complete`.
   */
  blind?: boolean;
}

/**
 * Records a source's findings at `ctx.now`: finding state, alerts, outbox rows, all or nothing.
 * Returns the outbox ids written (wake the delivery worker once the caller's transaction commits).
 */
export function record(db: Db, ctx: AlertContext, source: string, findings: readonly Finding[], opts: RecordOptions): number[] {
  return db.transaction(() => {
    writeFindingState(db, source, findings, ctx.now, opts.complete);
    return applyFindings(db, ctx, source, findings, opts.complete && !opts.blind);
  })();
}
