/**
 * The origin identity of a server's records: one per incarnation of its
 * data directory, `<name>@<stamp>`, chosen when the database is created and
 * kept in it (the store's owner row).
 *
 * Why not the bare name: a server whose disk was wiped restarts at seq 1,
 * while its peers still hold its old records 1..n; new records under the
 * same origin would collide with them. A fresh origin per database makes
 * every (origin, seq) unique forever, and the old incarnation's records
 * simply come back through anti-entropy like anyone else's. A database
 * created before this scheme keeps its own owner name.
 *
 * @module
 */
import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DB_FILE } from "../store/schema.ts";

/** The origin the database in `dataDir` belongs to, or a fresh one for server `name`. */
export function resolveOrigin(dataDir: string, name: string): string {
  const file = join(dataDir, DB_FILE);
  if (existsSync(file)) {
    try {
      const db = new Database(file);
      try {
        const row = db.query("SELECT value FROM meta WHERE key = 'server'").get() as { value: string } | null;
        if (row && typeof row.value === "string" && row.value.length > 0) return row.value;
      } finally {
        db.close();
      }
    } catch {
      // no meta table yet (or unreadable): opening the store will say what is wrong
    }
  }
  return freshOrigin(name);
}

/** A new origin for server `name`: its name and a creation stamp. */
export function freshOrigin(name: string, now = Date.now()): string {
  return `${name}@${now.toString(36)}${randomBytes(3).toString("hex")}`;
}

/** The server name an origin belongs to. */
export function originServer(origin: string): string {
  const at = origin.lastIndexOf("@");
  return at < 0 ? origin : origin.slice(0, at);
}
