/**
 * Silences (maintenance windows): while one is active, notices for alerts whose source or rule
 * matches its glob are not sent. The alert itself is still recorded and shown. Adding and
 * lifting a silence is audited.
 */
import { appendAudit } from "../audit.js";
import type { Db } from "../store/db.js";

/** A maintenance window as stored. */
export interface Silence {
  id: number;
  match: string;
  reason: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
  endedBy: string | null;
}

interface SilenceRow {
  id: number;
  match: string;
  reason: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  ended_by: string | null;
}

const toSilence = (r: SilenceRow): Silence => ({
  id: r.id,
  match: r.match,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endedBy: r.ended_by,
});

/** A silence request was refused; the message is safe to show. */
export class SilenceError extends Error {
  override readonly name = "SilenceError";
}

const MAX_SILENCE_MS = 30 * 86_400_000;

/** Checks a match glob: letters, digits and `._-|:*?`, 1–200 characters. */
export function validateMatch(match: string): string | undefined {
  if (match.length === 0 || match.length > 200) return "a match must be 1 to 200 characters";
  if (!/^[A-Za-z0-9_.|:*?-]+$/.test(match)) return `"${match}" may only contain letters, digits and . _ - | : * ?`;
  return undefined;
}

/** Whether glob (`*` any run, `?` one character) matches the whole of `text`. */
export function globMatches(glob: string, text: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
  return re.test(text);
}

/** Whether a silence covers an alert: its glob matches the source, the rule or the alert key. */
export function silenceCovers(s: Pick<Silence, "match">, a: { source: string; rule: string; key?: string }): boolean {
  return globMatches(s.match, a.source) || globMatches(s.match, a.rule) || (a.key !== undefined && globMatches(s.match, a.key));
}

/** Silences in force at `now`. */
export function activeSilences(db: Db, now: number): Silence[] {
  return (db.prepare("SELECT * FROM silences WHERE ended_at IS NULL AND created_at <= ? AND expires_at > ? ORDER BY id").all(now, now) as SilenceRow[]).map(toSilence);
}

/** Silences, newest first; expired and lifted ones only with `all`. */
export function listSilences(db: Db, opts: { now: number; all?: boolean; limit?: number }): Silence[] {
  const rows = opts.all
    ? db.prepare("SELECT * FROM silences ORDER BY id DESC LIMIT ?").all(opts.limit ?? 200)
    : db.prepare("SELECT * FROM silences WHERE ended_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT ?").all(opts.now, opts.limit ?? 200);
  return (rows as SilenceRow[]).map(toSilence);
}

/** Adds a silence for `forMs` from `now` (at most 30 days); audited. */
export function addSilence(db: Db, req: { match: string; forMs: number; reason: string; actor: string; now: number; address?: string }): Silence {
  const bad = validateMatch(req.match);
  if (bad) throw new SilenceError(bad);
  if (!Number.isFinite(req.forMs) || req.forMs <= 0) throw new SilenceError("a silence needs a positive duration");
  if (req.forMs > MAX_SILENCE_MS) throw new SilenceError("a silence may last at most 30 days");
  const reason = req.reason.trim();
  if (reason.length === 0) throw new SilenceError("a silence needs a reason");
  if (reason.length > 500) throw new SilenceError("the reason is longer than 500 characters");
  return db.transaction(() => {
    const info = db
      .prepare("INSERT INTO silences (match, reason, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
      .run(req.match, reason, req.actor, req.now, req.now + req.forMs);
    const id = Number(info.lastInsertRowid);
    appendAudit(db, {
      actor: req.actor,
      action: "alerts.silence.add",
      target: `silence:${id}`,
      detail: { match: req.match, reason, expires_at: req.now + req.forMs },
      at: req.now,
      ...(req.address ? { address: req.address } : {}),
    });
    return toSilence(db.prepare("SELECT * FROM silences WHERE id = ?").get(id) as SilenceRow);
  })();
}

/** Lifts a silence before it expires; audited. Returns undefined if there is no such active silence. */
export function endSilence(db: Db, id: number, req: { actor: string; now: number; address?: string }): Silence | undefined {
  return db.transaction(() => {
    const info = db.prepare("UPDATE silences SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL AND expires_at > ?").run(req.now, req.actor, id, req.now);
    if (info.changes === 0) return undefined;
    appendAudit(db, { actor: req.actor, action: "alerts.silence.end", target: `silence:${id}`, at: req.now, ...(req.address ? { address: req.address } : {}) });
    return toSilence(db.prepare("SELECT * FROM silences WHERE id = ?").get(id) as SilenceRow);
  })();
}
