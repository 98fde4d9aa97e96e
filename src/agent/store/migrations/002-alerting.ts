/**
 * Alerting: flap damping and silences on alerts, grouping and delivery history on the outbox.
 * Owned by src/agent/alerts and src/agent/notify.
 */
export const sql = /* sql */ `
-- Flap damping: an open alert whose finding turned good is kept (good_since set) until it has
-- stayed good for flap_window; a relapse before that clears good_since and counts a flap.
ALTER TABLE alerts ADD COLUMN flap_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN good_since INTEGER;
ALTER TABLE alerts ADD COLUMN good_message TEXT;
-- The silence that kept the last notice of this alert from being sent (NULL = not silenced).
ALTER TABLE alerts ADD COLUMN silenced_by INTEGER;

-- Grouping: rows written by the engine carry channel|event here until the worker seals them
-- (merging every other pending row with the same key into the first one due).
ALTER TABLE outbox ADD COLUMN group_key TEXT;
-- A row merged into another is never sent itself; it points at the row that carried its items.
ALTER TABLE outbox ADD COLUMN merged_into INTEGER REFERENCES outbox (id);
CREATE INDEX outbox_group ON outbox (group_key) WHERE group_key IS NOT NULL AND sent_at IS NULL AND merged_into IS NULL;

-- Maintenance windows: notices for alerts whose source or rule matches the glob are not sent.
CREATE TABLE silences (
  id          INTEGER PRIMARY KEY,
  match       TEXT    NOT NULL,             -- glob over source or rule: doors, firewall.*, *.drift
  reason      TEXT    NOT NULL,
  created_by  TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  ended_at    INTEGER,                      -- lifted early
  ended_by    TEXT
) STRICT;
CREATE INDEX silences_active ON silences (expires_at) WHERE ended_at IS NULL;

-- Every delivery attempt with its outcome, for the console ("email failed: 535 auth").
CREATE TABLE delivery_attempts (
  id          INTEGER PRIMARY KEY,
  outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
  channel     TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
  error       TEXT
) STRICT;
CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id, at);
CREATE INDEX delivery_attempts_time ON delivery_attempts (at);

-- Small persistent state of periodic jobs (last heartbeat, last digest day).
CREATE TABLE alerting_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  at    INTEGER NOT NULL
) STRICT;
`;
