/**
 * The store's SQLite schema: one table of replicated records (every write,
 * with its origin and seq), the users and channels they imply, the version
 * vector, and a meta table with the schema version, owner, digest and count.
 * A database with another schema version is refused, never migrated blindly.
 *
 * @module
 */
export const SCHEMA_VERSION = "1";
export const DB_FILE = "chat.sqlite";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  origin TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
  user TEXT, channel TEXT, src TEXT, dst TEXT, message TEXT,
  timestamp REAL NOT NULL, clock INTEGER NOT NULL,
  conv TEXT, hidden INTEGER NOT NULL DEFAULT 0,
  UNIQUE (origin, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records(id) WHERE hidden = 0;
CREATE INDEX IF NOT EXISTS records_conv ON records(conv, clock, origin, seq) WHERE hidden = 0 AND conv IS NOT NULL;
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channels (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vector (origin TEXT PRIMARY KEY, contiguous INTEGER NOT NULL) WITHOUT ROWID;
`;

export const COLS = "origin, seq, kind, id, user, channel, src, dst, message, timestamp, clock";
