/**
 * Silences (maintenance windows): while one is active, notices for alerts whose source or rule
 * matches its glob are not sent. The alert itself is still recorded and shown. Adding and
 * lifting a silence is audited.
 */
import { appendAudit } from "../audit.js";
import type { Db } from "../store/db.js";
import { insertSilence, liftSilence, recentSilences, type Silence } from "../store/silences.js";

export { activeSilences, type Silence } from "../store/silences.js";

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

/** Silences, newest first; expired and lifted ones only with `all`. */
export function listSilences(db: Db, opts: { now: number; all?: boolean; limit?: number }): Silence[] {
  return recentSilences(db, { now: opts.now, all: opts.all ?? false, limit: opts.limit ?? 200 });
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
    const silence = insertSilence(db, { match: req.match, reason, createdBy: req.actor, createdAt: req.now, expiresAt: req.now + req.forMs });
    const id = silence.id;
    appendAudit(db, {
      actor: req.actor,
      action: "alerts.silence.add",
      target: `silence:${id}`,
      detail: { match: req.match, reason, expires_at: req.now + req.forMs },
      at: req.now,
      ...(req.address ? { address: req.address } : {}),
    });
    return silence;
  })();
}

/** Lifts a silence before it expires; audited. Returns undefined if there is no such active silence. */
export function endSilence(db: Db, id: number, req: { actor: string; now: number; address?: string }): Silence | undefined {
  return db.transaction(() => {
    const silence = liftSilence(db, id, req.actor, req.now);
    if (!silence) return undefined;
    appendAudit(db, { actor: req.actor, action: "alerts.silence.end", target: `silence:${id}`, at: req.now, ...(req.address ? { address: req.address } : {}) });
    return silence;
  })();
}
