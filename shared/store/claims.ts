/**
 * Owned user names in the store: the `claims` and `sessions` tables, kept
 * from the `claim` and `session` records as they are stored (local or
 * applied from a peer), so that any server can answer "who owns `ana`"
 * and "is this token hers" with one indexed read.
 *
 * Concurrent registration: two servers may each accept a claim of the same
 * name before either has the other's. Every server keeps, per name, the
 * claim first in history order (clock, origin, seq), whatever order the
 * records arrive in, so once both are replicated every server names the
 * same owner; a session counts only if it was granted under that claim, so
 * the tokens the losing registration handed out stop working everywhere.
 *
 * The tables hold nothing the records do not: a rolled-back transaction
 * rolls them back too, and they never need rebuilding by hand.
 *
 * @module
 */
import type { Database, Statement } from "bun:sqlite";
import type { ChatRecord } from "./store.ts";

export const CLAIMS_SCHEMA = `
CREATE TABLE IF NOT EXISTS claims (
  user TEXT PRIMARY KEY, id TEXT NOT NULL, clock INTEGER NOT NULL, origin TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (digest TEXT PRIMARY KEY, user TEXT NOT NULL, claim TEXT NOT NULL) WITHOUT ROWID;
`;

export class ClaimIndex {
  private readonly s: Record<"claim" | "session" | "claimOf" | "hasSession", Statement>;

  constructor(db: Database) {
    const q = (sql: string) => db.prepare(sql);
    this.s = {
      // The held claim is replaced only by one that comes first in history order.
      claim: q(`INSERT INTO claims(user, id, clock, origin, seq, hash) VALUES (?,?,?,?,?,?)
        ON CONFLICT(user) DO UPDATE SET id = excluded.id, clock = excluded.clock, origin = excluded.origin, seq = excluded.seq, hash = excluded.hash
        WHERE (excluded.clock, excluded.origin, excluded.seq) < (claims.clock, claims.origin, claims.seq)`),
      session: q("INSERT OR IGNORE INTO sessions(digest, user, claim) VALUES (?,?,?)"),
      claimOf: q("SELECT id, hash FROM claims WHERE user = ?"),
      hasSession: q("SELECT 1 AS x FROM sessions s JOIN claims c ON c.user = s.user AND c.id = s.claim WHERE s.digest = ? AND s.user = ?"),
    };
  }

  /** Takes note of a stored claim or session record (other kinds are ignored). */
  note(r: ChatRecord): void {
    if (r.kind === "claim") this.s.claim.run(r.user!, r.id, r.clock, r.origin, r.seq, r.secret!);
    else if (r.kind === "session") this.s.session.run(r.secret!, r.user!, r.claim!);
  }

  claimOf(user: string): { id: string; hash: string } | undefined {
    return (this.s.claimOf.get(user) as { id: string; hash: string } | null) ?? undefined;
  }

  hasSession(user: string, digest: string): boolean {
    return this.s.hasSession.get(digest, user) !== null;
  }
}
