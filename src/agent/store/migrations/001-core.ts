/** The spine's tables: observations, finding state, baselines, alerts, outbox, audit. */
export const sql = /* sql */ `
CREATE TABLE observations (
  id            INTEGER PRIMARY KEY,
  monitor       TEXT    NOT NULL,
  started_at    INTEGER NOT NULL,           -- unix ms
  duration_ms   INTEGER NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('pass','warn','fail','unknown')),
  outcome       TEXT    NOT NULL CHECK (outcome IN ('ok','not_applicable','error')),
  error         TEXT,
  evidence      TEXT    NOT NULL DEFAULT '',
  facts_json    TEXT    NOT NULL DEFAULT '{}',
  findings_json TEXT    NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX observations_monitor_time ON observations (monitor, started_at);
CREATE INDEX observations_time ON observations (started_at);

-- Current state of every finding key, so the console can say "failing since".
CREATE TABLE finding_state (
  key         TEXT PRIMARY KEY,             -- monitor|rule|subject
  monitor     TEXT NOT NULL,
  rule        TEXT NOT NULL,
  subject     TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL CHECK (kind IN ('policy','drift','probe')),
  status      TEXT NOT NULL CHECK (status IN ('pass','warn','fail','unknown')),
  message     TEXT NOT NULL,
  since       INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL
) STRICT;
CREATE INDEX finding_state_monitor ON finding_state (monitor);

-- When each item of a list-valued fact was first observed (pending updates, …).
CREATE TABLE fact_items (
  monitor     TEXT NOT NULL,
  fact_key    TEXT NOT NULL,
  item        TEXT NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  PRIMARY KEY (monitor, fact_key, item)
) STRICT, WITHOUT ROWID;

CREATE TABLE baselines (
  monitor     TEXT PRIMARY KEY,
  facts_json  TEXT NOT NULL,
  approved_at INTEGER NOT NULL,
  approved_by TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE alerts (
  id               INTEGER PRIMARY KEY,
  key              TEXT    NOT NULL,
  source           TEXT    NOT NULL,        -- monitor id or 'doors'
  rule             TEXT    NOT NULL,
  subject          TEXT    NOT NULL DEFAULT '',
  severity         TEXT    NOT NULL CHECK (severity IN ('critical','warning','info')),
  state            TEXT    NOT NULL CHECK (state IN ('firing','acknowledged','resolved')),
  message          TEXT    NOT NULL,
  details_json     TEXT    NOT NULL DEFAULT '{}',
  opened_at        INTEGER NOT NULL,
  last_notified_at INTEGER,
  resolved_at      INTEGER,
  ack_by           TEXT,
  ack_at           INTEGER,
  ack_note         TEXT
) STRICT;
-- The same key never fires twice at once.
CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE state != 'resolved';
CREATE INDEX alerts_state ON alerts (state, opened_at);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  alert_id        INTEGER REFERENCES alerts (id),
  event           TEXT    NOT NULL,         -- firing | reminder | resolved | test | digest
  channel         TEXT    NOT NULL,         -- email | webhook | syslog | …
  message_id      TEXT    NOT NULL UNIQUE,  -- stable across retries, for dedup at the receiver
  payload_json    TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  sent_at         INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical row).
CREATE TABLE audit (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  target      TEXT    NOT NULL DEFAULT '',
  detail_json TEXT    NOT NULL DEFAULT '{}',
  address     TEXT    NOT NULL DEFAULT '',
  prev_hash   TEXT    NOT NULL,
  hash        TEXT    NOT NULL UNIQUE
) STRICT;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;
