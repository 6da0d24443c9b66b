/**
 * The store's SQLite schema: one table of replicated records (every write,
 * with its origin and seq), the users, channels and name claims they imply,
 * the version vector, and a meta table with the schema version, owner,
 * digest and count. A database of an older version this program knows is
 * migrated in place (see {@link migrate}); any other version is refused,
 * never migrated blindly.
 *
 * @module
 */
import type { Database } from "bun:sqlite";
import { CLAIMS_SCHEMA } from "./claims.ts";
import { StoreError } from "./store.ts";

export const SCHEMA_VERSION = "2";
export const DB_FILE = "chat.sqlite";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  origin TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
  user TEXT, channel TEXT, src TEXT, dst TEXT, message TEXT,
  timestamp REAL NOT NULL, clock INTEGER NOT NULL,
  conv TEXT, hidden INTEGER NOT NULL DEFAULT 0, secret TEXT, claim TEXT,
  UNIQUE (origin, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records(id) WHERE hidden = 0;
CREATE INDEX IF NOT EXISTS records_conv ON records(conv, clock, origin, seq) WHERE hidden = 0 AND conv IS NOT NULL;
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS channels (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vector (origin TEXT PRIMARY KEY, contiguous INTEGER NOT NULL) WITHOUT ROWID;
${CLAIMS_SCHEMA}`;

export const COLS = "origin, seq, kind, id, user, channel, src, dst, message, timestamp, clock, secret, claim";

/**
 * Brings a database of an older schema version up to {@link SCHEMA_VERSION}
 * in one transaction (SCHEMA, already run, created the tables it lacked).
 * Version 1 had no owned names: records gain `secret` and `claim`, and the
 * empty claims and sessions tables are right for it as they are.
 */
export function migrate(db: Database, from: string): void {
  if (from !== "1") throw new StoreError(`schema version ${from} in database, this program needs ${SCHEMA_VERSION}`);
  db.transaction(() => {
    db.exec("ALTER TABLE records ADD COLUMN secret TEXT");
    db.exec("ALTER TABLE records ADD COLUMN claim TEXT");
    db.run("UPDATE meta SET value = ? WHERE key = 'schema'", [SCHEMA_VERSION]);
  })();
}
