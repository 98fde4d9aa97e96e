/**
 * How far the audit chain has been verified, kept across restarts: the last verified entry, its
 * hash and the number of entries up to it. A restart resumes there instead of re-walking a
 * million rows on the way up; the row's hash is checked again on resume, and a full pass from the
 * first entry still runs in the background at start and daily (src/agent/audit.ts).
 * One row at most (`one = 1`). Owned by src/agent/audit.ts through src/agent/store/audit.ts.
 *
 * And an index on the audit rows' time: the evidence report reads the rows of its period (entries
 * in the period, baseline approvals) and when the log began, each a scan of the whole log without
 * it (a million rows: hundreds of ms on the daemon's event loop when the monthly report runs).
 */
export const sql = /* sql */ `
CREATE TABLE audit_checkpoint (
  one         INTEGER PRIMARY KEY CHECK (one = 1),
  last_id     INTEGER NOT NULL,
  last_hash   TEXT    NOT NULL,
  rows        INTEGER NOT NULL,
  verified_at INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_at ON audit (at);
`;
