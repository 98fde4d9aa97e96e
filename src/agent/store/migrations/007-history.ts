/**
 * Observations keep what a check found only when it changes. A year of per-minute checks is
 * millions of rows that almost all repeat the one before: each row now holds when, how long and
 * which result (about 20 bytes), and the result (status, outcome, error, evidence, facts and
 * findings) is stored once in `observation_results` and shared by every observation that found
 * exactly that. Sources (monitor ids, `compliance`, `host:<id>`) are numbered once.
 *
 * `observations` becomes a view with the same columns as the old table, so every reader keeps
 * its SQL; writers go through src/agent/store/observation-log.ts. The foreign keys make the
 * database refuse to delete a result an observation still points at.
 *
 * Existing rows are converted here: per source, in time order, a row equal to the one before it
 * (all six result columns) joins that row's result; each change starts a new one whose id is the
 * id of its first observation. Converted results have no hash (SQLite cannot compute one), so a
 * new observation that repeats one of them stores its result again once; every later repeat
 * finds it by hash.
 */
export const sql = /* sql */ `
CREATE TABLE observation_sources (
  id   INTEGER PRIMARY KEY,
  name TEXT    NOT NULL UNIQUE                -- monitor id, 'compliance', 'host:<id>'
) STRICT;

CREATE TABLE observation_results (
  id            INTEGER PRIMARY KEY,
  hash          BLOB    UNIQUE,               -- sha256 of the result's content; NULL for converted rows
  status        TEXT    NOT NULL CHECK (status IN ('pass','warn','fail','unknown')),
  outcome       TEXT    NOT NULL CHECK (outcome IN ('ok','not_applicable','error')),
  error         TEXT,
  evidence      TEXT    NOT NULL DEFAULT '',
  facts_json    TEXT    NOT NULL DEFAULT '{}',
  findings_json TEXT    NOT NULL DEFAULT '[]'
) STRICT;

CREATE TABLE observation_log (
  id          INTEGER PRIMARY KEY,
  source_id   INTEGER NOT NULL REFERENCES observation_sources (id),
  started_at  INTEGER NOT NULL,               -- unix ms
  duration_ms INTEGER NOT NULL,
  result_id   INTEGER NOT NULL REFERENCES observation_results (id)
) STRICT;

CREATE TEMP TABLE observation_runs AS
WITH marked AS (
  SELECT id, monitor, started_at, duration_ms,
         (status, outcome, error, evidence, facts_json, findings_json) IS NOT
         (lag(status) OVER w, lag(outcome) OVER w, lag(error) OVER w, lag(evidence) OVER w, lag(facts_json) OVER w, lag(findings_json) OVER w) AS changed
  FROM observations
  WINDOW w AS (PARTITION BY monitor ORDER BY started_at, id)
), numbered AS (
  SELECT *, sum(changed) OVER (PARTITION BY monitor ORDER BY started_at, id) AS run FROM marked
)
SELECT id, monitor, started_at, duration_ms, first_value(id) OVER (PARTITION BY monitor, run ORDER BY started_at, id) AS result_id
FROM numbered;

INSERT INTO observation_sources (name) SELECT DISTINCT monitor FROM observations ORDER BY monitor;
INSERT INTO observation_results (id, status, outcome, error, evidence, facts_json, findings_json)
  SELECT id, status, outcome, error, evidence, facts_json, findings_json FROM observations
  WHERE id IN (SELECT result_id FROM temp.observation_runs);
INSERT INTO observation_log (id, source_id, started_at, duration_ms, result_id)
  SELECT r.id, s.id, r.started_at, r.duration_ms, r.result_id
  FROM temp.observation_runs r JOIN observation_sources s ON s.name = r.monitor
  ORDER BY r.id;
DROP TABLE temp.observation_runs;
DROP TABLE observations;

CREATE INDEX observation_log_source_time ON observation_log (source_id, started_at);
-- For pruning results nobody points at any more (and the foreign key check that guards it).
CREATE INDEX observation_log_result ON observation_log (result_id);

CREATE VIEW observations AS
SELECT l.id AS id, s.name AS monitor, l.started_at AS started_at, l.duration_ms AS duration_ms,
       r.status AS status, r.outcome AS outcome, r.error AS error, r.evidence AS evidence,
       r.facts_json AS facts_json, r.findings_json AS findings_json
FROM observation_log l
JOIN observation_sources s ON s.id = l.source_id
JOIN observation_results r ON r.id = l.result_id;
`;
