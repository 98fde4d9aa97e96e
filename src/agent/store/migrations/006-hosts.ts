/**
 * Office computers enrolled through osquery's TLS API and the latest result of each posture
 * query. Node keys are stored only as SHA-256 digests. Owned by src/agent/hosts.
 */
export const sql = /* sql */ `
CREATE TABLE osquery_hosts (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: host:<id> names its evidence for good
  host_identifier     TEXT    NOT NULL UNIQUE,  -- osquery's --host_identifier (uuid by Gatehouse's flags)
  node_key_sha256     TEXT    NOT NULL UNIQUE,  -- hex digest of the node key handed out at enrolment
  hostname            TEXT    NOT NULL DEFAULT '',
  platform            TEXT    NOT NULL DEFAULT '', -- windows | darwin | linux | '' (not known yet)
  os_name             TEXT    NOT NULL DEFAULT '',
  os_version          TEXT    NOT NULL DEFAULT '',
  osquery_version     TEXT    NOT NULL DEFAULT '',
  hardware_serial     TEXT    NOT NULL DEFAULT '',
  enrolled_at         INTEGER NOT NULL,
  enrolled_from       TEXT    NOT NULL DEFAULT '',
  last_seen_at        INTEGER NOT NULL,
  last_address        TEXT    NOT NULL DEFAULT '',
  last_results_at     INTEGER,
  distributed_due     INTEGER NOT NULL DEFAULT 1,  -- 1: hand out the posture queries on the next distributed read
  distributed_sent_at INTEGER,
  offline             INTEGER NOT NULL DEFAULT 0   -- 1 once judged offline (the tick records only changes)
) STRICT;

CREATE TABLE osquery_results (
  host_id     INTEGER NOT NULL REFERENCES osquery_hosts (id) ON DELETE CASCADE,
  query       TEXT    NOT NULL,
  status      INTEGER NOT NULL,               -- osquery's status: 0 ran, otherwise the SQLite error code
  rows_json   TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  via         TEXT    NOT NULL CHECK (via IN ('logger', 'distributed', 'fleet')),
  PRIMARY KEY (host_id, query)
) STRICT, WITHOUT ROWID;
`;
