/** Door sensors: current state, every event received, on-site declarations, webhook event ids. */
export const sql = /* sql */ `
-- One row per configured sensor, written by the door engine in the same transaction as its events.
CREATE TABLE door_state (
  sensor_id      TEXT    PRIMARY KEY,
  state          TEXT    NOT NULL DEFAULT 'unknown' CHECK (state IN ('open','closed','unknown')),
  since          INTEGER,                   -- unix ms the current state began (as Gatehouse learned it)
  last_seen_at   INTEGER,                   -- last message of any kind from the sensor
  online         INTEGER NOT NULL DEFAULT 1 CHECK (online IN (0,1)),
  tamper         INTEGER CHECK (tamper IN (0,1)),
  battery        REAL,
  battery_low    INTEGER CHECK (battery_low IN (0,1)),
  malformed      INTEGER NOT NULL DEFAULT 0 -- payloads refused so far
) STRICT;

-- Every message received from a sensor (or simulated), with the sha256 of its raw payload.
CREATE TABLE door_events (
  id             INTEGER PRIMARY KEY,
  sensor_id      TEXT    NOT NULL,
  source         TEXT    NOT NULL CHECK (source IN ('mqtt','gpio','webhook','simulate')),
  received_at    INTEGER NOT NULL,
  payload_sha256 TEXT    NOT NULL,
  state          TEXT    CHECK (state IN ('open','closed')),
  online         INTEGER CHECK (online IN (0,1)),
  tamper         INTEGER CHECK (tamper IN (0,1)),
  battery        REAL,
  battery_low    INTEGER CHECK (battery_low IN (0,1)),
  initial        INTEGER NOT NULL DEFAULT 0 CHECK (initial IN (0,1)),
  -- What the engine made of it: alarm | onsite | business_hours | no_change | initial | status
  outcome        TEXT    NOT NULL,
  onsite_id      INTEGER REFERENCES door_onsite (id)
) STRICT;
CREATE INDEX door_events_sensor_time ON door_events (sensor_id, received_at);
CREATE INDEX door_events_time ON door_events (received_at);

-- "On site until 21:30": after-hours openings are recorded without alerts until then.
CREATE TABLE door_onsite (
  id             INTEGER PRIMARY KEY,
  declared_at    INTEGER NOT NULL,
  until_at       INTEGER NOT NULL,
  declared_by    TEXT    NOT NULL,          -- the manager on site
  reason         TEXT    NOT NULL,
  actor          TEXT    NOT NULL,          -- who recorded it (os:alice, user:bob)
  cancelled_at   INTEGER,
  cancelled_by   TEXT
) STRICT;
CREATE INDEX door_onsite_until ON door_onsite (until_at);

-- Webhook event ids already accepted, kept past the signature window so a replay is refused.
CREATE TABLE door_webhook_ids (
  sensor_id      TEXT    NOT NULL,
  event_id       TEXT    NOT NULL,
  received_at    INTEGER NOT NULL,
  PRIMARY KEY (sensor_id, event_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX door_webhook_ids_time ON door_webhook_ids (received_at);
`;
