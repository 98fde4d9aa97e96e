/**
 * The audit log as the daemon watches it: append-only (triggers refuse UPDATE and DELETE) and
 * hash-chained, so that an edited or deleted row is detected by `verifyAudit`; `AuditChain`
 * verifies it incrementally in the background. Never pass a secret in `detail`.
 */
import {
  AUDIT_START,
  appendAudit,
  GENESIS_HASH,
  lastAuditId,
  readAuditCheckpoint,
  saveAuditCheckpoint,
  verifyAudit,
  verifyAuditFrom,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRow,
  type AuditVerification,
} from "./store/audit.js";
import type { Db } from "./store/db.js";

// The chain's rows and its verification primitives are the store's (src/agent/store/audit.ts);
// this module watches the chain of a running daemon.
export { AUDIT_START, appendAudit, GENESIS_HASH, verifyAudit, verifyAuditFrom, type AuditCheckpoint, type AuditEntry, type AuditRow, type AuditVerification };

/** Rows verified per slice of a background walk (a few ms of the event loop each). */
const SLICE_ROWS = 1_000;
/** A background walk persists its checkpoint every this many slices (and when it ends). */
const SAVE_EVERY_SLICES = 100;
/** A full walk from the first row again, at most this often (catches edits behind the checkpoint). */
const FULL_WALK_EVERY_MS = 24 * 3_600_000;
/** `settle` verifies on the caller's time only when this few rows are left (a few ms). */
export const SETTLE_ROWS = 20_000;

/** What the chain's verification has reached, for pages and findings. */
export interface AuditChainStatus {
  ok: boolean;
  /** Rows verified, from the first up to `verifiedThrough`. */
  rows: number;
  /** The id of the last verified row (0: none yet). */
  verifiedThrough: number;
  /** Rows written after `verifiedThrough`, not verified yet (0 once broken). */
  pending: number;
  brokenAt?: number;
  reason?: string;
  /** A full pass from the first row: when one last completed (unix ms), and how far a running one is. */
  fullPass: { completedAt?: number; runningThrough?: number };
}

/**
 * The chain of one database as the daemon watches it: verified incrementally from the last
 * verified row (the checkpoint, persisted in `audit_checkpoint` so a restart resumes there), in
 * slices between other work, never on a caller's time. A full pass from the first row runs in the
 * background at start and daily, so an edit behind the checkpoint is still found. Pages and health
 * checks read `current()` or `status()`, which cost one indexed lookup.
 */
export class AuditChain {
  private checkpoint = AUDIT_START;
  private result: AuditVerification = { ok: true, rows: 0 };
  private walking: Promise<AuditVerification> | undefined;
  private lastFullWalk = Number.NEGATIVE_INFINITY;
  private fullCompletedAt: number | undefined;
  private fullRunningThrough: number | undefined;
  /** Rows read by this chain's verifications (the tests prove a restart does not re-walk). */
  rowsRead = 0;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    const saved = readAuditCheckpoint(db);
    if (saved) {
      this.checkpoint = saved;
      this.result = { ok: true, rows: saved.rows };
    }
  }

  /**
   * The state as last verified, and how many rows wait for verification. Starts a background walk
   * when rows were added (or a full one is due); never walks on the caller's time.
   */
  current(): AuditVerification & { pending: number } {
    const pending = Math.max(0, lastAuditId(this.db) - this.checkpoint.id);
    if (this.result.ok && !this.walking && (pending > 0 || this.fullDue())) void this.walk();
    return { ...this.result, pending: this.result.ok ? pending : 0 };
  }

  /** `current()` with how far the verification has got, for the audit page and findings. */
  status(): AuditChainStatus {
    const c = this.current();
    return {
      ok: c.ok,
      rows: c.rows,
      verifiedThrough: this.checkpoint.id,
      pending: c.pending,
      ...(c.ok ? {} : { brokenAt: c.brokenAt, reason: c.reason }),
      fullPass: { ...(this.fullCompletedAt !== undefined ? { completedAt: this.fullCompletedAt } : {}), ...(this.fullRunningThrough !== undefined ? { runningThrough: this.fullRunningThrough } : {}) },
    };
  }

  /**
   * Verifies up to the last row, in slices that yield to the event loop: from the checkpoint, or
   * from the first row when `full` (or when a daily full walk is due). Resolves with the state
   * reached. A call while a walk runs joins it (a full walk asked for then starts after it).
   */
  async walk(opts: { full?: boolean } = {}): Promise<AuditVerification> {
    if (this.walking) {
      const r = await this.walking;
      if (!opts.full) return r;
    }
    this.walking ??= this.run(opts.full ?? false).finally(() => (this.walking = undefined));
    return this.walking;
  }

  /** Verifies the rows added since the checkpoint right away (for callers off the request path). */
  verifyNow(): AuditVerification {
    if (!this.result.ok) return this.result;
    this.adopt(verifyAuditFrom(this.db, this.checkpoint));
    this.save();
    return this.result;
  }

  /**
   * Brings the verification up to date on the caller's time when at most `maxRows` rows are left
   * to read (the due full pass included, or forced with `full`); otherwise leaves it to the
   * background walk, which this starts. Returns the status either way: callers report what is
   * verified so far ("verified up to row N") instead of waiting for a million rows.
   */
  settle(opts: { maxRows?: number; full?: boolean } = {}): AuditChainStatus {
    if (this.result.ok) {
      // A full pass is owed until one completed (one merely started in the background counts not).
      const full = (opts.full ?? false) || this.fullCompletedAt === undefined || this.fullDue();
      const left = full ? lastAuditId(this.db) : lastAuditId(this.db) - this.checkpoint.id;
      if (left <= (opts.maxRows ?? SETTLE_ROWS)) {
        const started = this.now();
        const r = verifyAuditFrom(this.db, full ? AUDIT_START : this.checkpoint);
        if (full && r.result.ok) {
          this.lastFullWalk = started;
          this.fullCompletedAt = this.now();
        }
        this.adopt(r);
        this.save();
      } else void this.walk({ full: opts.full ?? false });
    }
    return this.status();
  }

  private fullDue(): boolean {
    return this.now() - this.lastFullWalk >= FULL_WALK_EVERY_MS;
  }

  /** Takes a verification's outcome: a break always; a checkpoint only when it moves forward. */
  private adopt(r: ReturnType<typeof verifyAuditFrom>): void {
    this.rowsRead += r.read;
    if (!r.result.ok) {
      this.result = r.result;
      this.checkpoint = r.checkpoint;
    } else if (r.checkpoint.id >= this.checkpoint.id) {
      this.checkpoint = r.checkpoint;
      this.result = r.result;
    } else if (r.done) {
      // A walk that reached the last row ended before a row verified earlier: the chain is intact
      // up to there, but its end was cut off (a hash chain alone cannot see that; the checkpoint can).
      this.result = { ok: false, rows: r.result.rows, brokenAt: this.checkpoint.id, reason: `row ${this.checkpoint.id} was deleted after it was verified (the log now ends at row ${r.checkpoint.id})` };
    }
  }

  /** Persists the checkpoint (only an unbroken one: a restart must find the break again). */
  private save(): void {
    if (this.result.ok && this.db.open) saveAuditCheckpoint(this.db, this.checkpoint, this.now());
  }

  private async run(asked: boolean): Promise<AuditVerification> {
    const full = asked || this.fullDue();
    if (full) this.lastFullWalk = this.now();
    // New rows first (a restart resumes at the persisted checkpoint), then the full pass.
    if ((!full || this.checkpoint.id > 0) && !(await this.pass(this.checkpoint, false))) return this.result;
    if (full) {
      try {
        if (await this.pass(AUDIT_START, true)) this.fullCompletedAt = this.now();
      } finally {
        this.fullRunningThrough = undefined;
      }
    }
    return this.result;
  }

  /** One walk from `from` to the last row in slices; false when it stopped (a break, a closed db). */
  private async pass(from: AuditCheckpoint, full: boolean): Promise<boolean> {
    let cp = from;
    for (let slices = 1; ; slices++) {
      // Yield first: a walk started by a caller never runs on that caller's time.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.db.open) return false;
      const r = verifyAuditFrom(this.db, cp, SLICE_ROWS);
      cp = r.checkpoint;
      if (full) this.fullRunningThrough = cp.id;
      // The shared checkpoint only moves forward: a full walk takes over once it has caught up.
      this.adopt(r);
      if (!r.result.ok) return false;
      if (r.done || slices % SAVE_EVERY_SLICES === 0) this.save();
      if (r.done) return true;
    }
  }
}

const chains = new WeakMap<Db, AuditChain>();

/** The one AuditChain of a database connection (console pages, health and compliance share its checkpoint). */
export function auditChain(db: Db): AuditChain {
  let c = chains.get(db);
  if (!c) chains.set(db, (c = new AuditChain(db)));
  return c;
}

/**
 * The audit page's line: what is verified, honestly, while a walk runs ("intact (N entries)"
 * stays first: scripts and the benchmark read it).
 */
export function describeAuditChain(s: AuditChainStatus): string {
  if (!s.ok) return `Hash chain BROKEN: ${s.reason ?? "unknown"}. Someone changed or deleted audit rows.`;
  const parts = [`Hash chain intact (${s.rows} entries).`];
  if (s.pending > 0) parts.push(`Verified up to row ${s.verifiedThrough}; ${s.pending} newer row(s) are being verified.`);
  if (s.fullPass.runningThrough !== undefined) parts.push(`Full re-verification from the first row running: up to row ${s.fullPass.runningThrough} so far.`);
  return parts.join(" ");
}
