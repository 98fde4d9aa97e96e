/**
 * "On site until 21:30": a manager declares that staff are in the building after hours, so
 * after-hours openings until then are recorded as events without alerts. Audited. Used by the
 * CLI (`gatehouse doors onsite`) and, later, the console (which must check the manager role).
 */
import { appendAudit } from "../audit.js";
import type { Db } from "../store/db.js";
import { instantAt, localTime } from "../../kit/time.js";
import { endOnsite, insertOnsite, type OnsiteDeclaration, type OnsiteInput } from "../store/doors.js";

/** A declaration may cover at most this long, so a forgotten one cannot silence doors for days. */
export const MAX_ONSITE_MS = 24 * 3_600_000;

export class OnsiteError extends Error {
  override readonly name = "OnsiteError";
}

/**
 * Parses `--until`: `21:30` (the next time the site's clock shows 21:30, today or after
 * midnight) or a local date and time `2026-11-28T21:30`. Returns unix ms.
 */
export function parseUntil(text: string, now: number, timezone: string): number {
  const s = text.trim();
  let at: number;
  const hm = /^(\d{1,2}):(\d{2})$/.exec(s);
  const full = /^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2})$/.exec(s);
  if (hm) {
    const [h, m] = [Number(hm[1]), Number(hm[2])];
    if (h > 23 || m > 59) throw new OnsiteError(`--until: expected a time like 21:30, got "${text}"`);
    const today = localTime(now, timezone).date;
    at = instantAt(today, h, m, timezone);
    if (at <= now) {
      // 01:00 declared at 22:00 means tonight after midnight.
      const tomorrow = localTime(now + 86_400_000, timezone).date;
      at = instantAt(tomorrow, h, m, timezone);
    }
  } else if (full) {
    const [h, m] = [Number(full[2]), Number(full[3])];
    if (h > 23 || m > 59 || Number.isNaN(Date.parse(`${full[1]}T00:00:00Z`))) throw new OnsiteError(`--until: expected a local date and time like 2026-11-28T21:30, got "${text}"`);
    at = instantAt(full[1]!, h, m, timezone);
  } else {
    throw new OnsiteError(`--until: expected a time like 21:30 or a local date and time like 2026-11-28T21:30, got "${text}"`);
  }
  if (at <= now) throw new OnsiteError(`--until ${text} is in the past`);
  if (at - now > MAX_ONSITE_MS) throw new OnsiteError(`--until ${text} is more than 24 hours away; declare again tomorrow`);
  return at;
}

/** A declaration as asked for; `declareOnsite` validates it before the store records it. */
export type DeclareOnsite = OnsiteInput;

/** Validates and records a declaration (with its audit entry, in one transaction). */
export function declareOnsite(db: Db, d: DeclareOnsite): OnsiteDeclaration {
  const by = d.declaredBy.trim();
  const reason = d.reason.trim();
  if (!by || by.length > 100 || /[\u0000-\u001f\u007f]/.test(by)) throw new OnsiteError("the name of the manager on site is required (at most 100 characters)");
  if (!reason || reason.length > 500 || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(reason)) throw new OnsiteError("a reason is required (at most 500 characters)");
  if (!Number.isFinite(d.untilAt) || d.untilAt <= d.now) throw new OnsiteError("the end of the declaration must be in the future");
  if (d.untilAt - d.now > MAX_ONSITE_MS) throw new OnsiteError("a declaration may cover at most 24 hours");
  return db.transaction(() => {
    const declared = insertOnsite(db, { ...d, declaredBy: by, reason });
    appendAudit(db, {
      at: d.now,
      actor: d.actor,
      action: "doors.onsite.declare",
      target: `onsite:${declared.id}`,
      detail: { declared_by: by, until: new Date(d.untilAt).toISOString(), reason },
      ...(d.address ? { address: d.address } : {}),
    });
    return declared;
  })();
}

/** Ends a declaration early, with its audit entry in the same transaction. False when it does not exist or already ended. */
export function cancelOnsite(db: Db, id: number, actor: string, now: number, address?: string): boolean {
  return db.transaction(() => {
    if (!endOnsite(db, id, actor, now)) return false;
    appendAudit(db, { at: now, actor, action: "doors.onsite.cancel", target: `onsite:${id}`, ...(address ? { address } : {}) });
    return true;
  })();
}
