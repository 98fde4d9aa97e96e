/**
 * Compliance registers kept by managers: business associate agreements, workforce training,
 * access reviews, restore tests and incidents. Dates are the site's calendar dates (YYYY-MM-DD)
 * because that is how people sign and renew them; *_at columns are unix ms.
 * Owned by src/agent/compliance; every change is audited there with before → after.
 */
export const sql = /* sql */ `
CREATE TABLE compliance_baas (
  id             INTEGER PRIMARY KEY,
  covered_entity TEXT    NOT NULL,          -- the client clinic
  contact        TEXT    NOT NULL DEFAULT '',
  phi_scope      TEXT    NOT NULL DEFAULT '',
  signed_on      TEXT    NOT NULL,
  expires_on     TEXT,                      -- renewal or expiry date; NULL = no end date
  copy_location  TEXT    NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE compliance_training (
  id             INTEGER PRIMARY KEY,
  person         TEXT    NOT NULL,
  training       TEXT    NOT NULL,
  completed_on   TEXT    NOT NULL,
  due_on         TEXT    NOT NULL,          -- next due date (completed + 1 year by default)
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX compliance_training_person ON compliance_training (person, training, completed_on);

CREATE TABLE compliance_access_reviews (
  id             INTEGER PRIMARY KEY,
  reviewed_on    TEXT    NOT NULL,
  reviewer       TEXT    NOT NULL,
  accounts       TEXT    NOT NULL DEFAULT '', -- what was reviewed (prefilled from the accounts monitor)
  changes        TEXT    NOT NULL DEFAULT '', -- what was changed as a result
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE compliance_restore_tests (
  id             INTEGER PRIMARY KEY,
  tested_on      TEXT    NOT NULL,
  backup_set     TEXT    NOT NULL DEFAULT '',
  result         TEXT    NOT NULL CHECK (result IN ('pass','fail','partial')),
  restore_hours  REAL,                      -- how long the restore took (2025 NPRM: 72 h)
  tested_by      TEXT    NOT NULL DEFAULT '',
  notes          TEXT    NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE compliance_incidents (
  id             INTEGER PRIMARY KEY,
  occurred_on    TEXT    NOT NULL,
  description    TEXT    NOT NULL,
  actions        TEXT    NOT NULL DEFAULT '',
  closed_on      TEXT,                      -- NULL while open
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- Time in each state per control and source for each complete UTC day, computed once from
-- observations on first need, so a 365-day history sums 365 rows instead of scanning 500k
-- observations, and outlives the observation retention. version/stale_ms: what it was computed
-- with (a change of the evidence mapping or of staleness computes new rows).
CREATE TABLE compliance_rollups (
  source    TEXT    NOT NULL,
  control   TEXT    NOT NULL,
  stale_ms  INTEGER NOT NULL,
  version   INTEGER NOT NULL,
  day       INTEGER NOT NULL,              -- unix ms of 00:00 UTC
  green_ms  INTEGER NOT NULL,
  amber_ms  INTEGER NOT NULL,
  red_ms    INTEGER NOT NULL,
  grey_ms   INTEGER NOT NULL,
  PRIMARY KEY (source, control, stale_ms, version, day)
) STRICT, WITHOUT ROWID;
`;
