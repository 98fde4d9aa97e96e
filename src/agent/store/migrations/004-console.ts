/**
 * The console's tables: users, sessions, one-time enrollment links, recovery codes and login
 * failures (for throttling). Nothing secret is stored in clear: passwords are argon2id hashes,
 * session ids, link tokens and recovery codes are sha256 hashes (they are 128-bit random, so a
 * fast hash is enough), TOTP secrets are sealed with the console key kept outside the database.
 */
export const sql = /* sql */ `
CREATE TABLE users (
  id                  INTEGER PRIMARY KEY,
  username            TEXT    NOT NULL UNIQUE,
  role                TEXT    NOT NULL CHECK (role IN ('admin','manager','viewer')),
  password_hash       TEXT    NOT NULL,
  password_changed_at INTEGER NOT NULL,
  totp_secret_sealed  TEXT    NOT NULL,
  -- Highest TOTP time step accepted so far: a code of this step or earlier is a replay.
  totp_last_step      INTEGER NOT NULL DEFAULT 0,
  created_at          INTEGER NOT NULL,
  created_by          TEXT    NOT NULL,
  disabled_at         INTEGER
) STRICT;

CREATE TABLE sessions (
  id_hash        TEXT    PRIMARY KEY,          -- sha256 of the cookie value
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  reauth_at      INTEGER NOT NULL,             -- last time the password and code were given
  address        TEXT    NOT NULL DEFAULT '',
  must_change_pw INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time links: 'setup' creates the first admin, 'enroll' a user added by an admin or the CLI,
-- 'reset' gives an existing user a new password and second factor (lost phone).
CREATE TABLE enrollments (
  token_hash     TEXT    PRIMARY KEY,
  kind           TEXT    NOT NULL CHECK (kind IN ('setup','enroll','reset')),
  username       TEXT,
  role           TEXT    NOT NULL CHECK (role IN ('admin','manager','viewer')),
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  used_at        INTEGER,
  created_by     TEXT    NOT NULL
  -- (the TOTP secret a link offers is derived from its token and the console key: nothing stored)
) STRICT;

CREATE TABLE recovery_codes (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash  TEXT    NOT NULL,
  used_at    INTEGER,
  PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE auth_failures (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  account  TEXT    NOT NULL,
  address  TEXT    NOT NULL
) STRICT;
CREATE INDEX auth_failures_account ON auth_failures (account, at);
CREATE INDEX auth_failures_address ON auth_failures (address, at);
`;
