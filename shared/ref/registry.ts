/**
 * The reference server's state: which servers exist, their ranks, and which
 * are alive.
 *
 * Ranks are assigned once per name (1, 2, 3 …) and persisted in SQLite
 * (`bun:sqlite`), so a restarted reference server hands every server the rank
 * it had before. Liveness is kept in memory: `rank` and `heartbeat` mark a
 * server alive, and `list` shows only servers heard from within
 * `heartbeatTimeoutMs`.
 * @module
 */
import { validateName } from "../wire/validate.ts";
import { Database, type Statement } from "bun:sqlite";
import { ClusterError } from "../cluster/errors.ts";

/** One live server as `list` returns it. */
export interface RegisteredServer {
  name: string;
  rank: number;
  /** Its peer-service endpoint, if it told us (protocol extension). */
  address?: string;
}

/** Options for {@link RefRegistry}. */
export interface RefRegistryOptions {
  /** SQLite file for the name→rank table; default in memory (lost on close). */
  path?: string;
  /** A server not heard from for longer than this leaves the list (e.g. 3000 ms). */
  heartbeatTimeoutMs: number;
  /** Clock for liveness; default `Date.now`. */
  now?: () => number;
  /** Refuse new names beyond this many (default 1000), so bad input can't grow the table unbounded. */
  maxServers?: number;
}

const SCHEMA_VERSION = 1;
const MAX_ADDRESS = 256;

/**
 * Check a server name: 1–64 characters, no control characters, no
 * whitespace at either end. Returns the name; throws `ClusterError("bad-name")`.
 */
export function checkServerName(name: unknown): string {
  const e = validateName("server", name); // the one rule for names, shared with the request validator
  if (e) throw new ClusterError("bad-name", e);
  return name as string;
}

/** Check a peer endpoint address: non-empty, at most 256 chars, no whitespace or control chars. */
export function checkAddress(address: unknown): string {
  if (typeof address !== "string" || address.length === 0 || address.length > MAX_ADDRESS) {
    throw new ClusterError("bad-address", `address must be a string of 1-${MAX_ADDRESS} characters`);
  }
  if (/[\s\p{Cc}]/u.test(address)) throw new ClusterError("bad-address", "address must not contain whitespace");
  return address;
}

/** Name→rank registry with heartbeat liveness, for the reference server. */
export class RefRegistry {
  readonly #db: Database;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #max: number;
  /** name → last time heard from (only registered names). */
  readonly #seen = new Map<string, number>();
  readonly #get: Statement<{ rank: number; address: string | null }, [string]>;
  readonly #insert: Statement<{ rank: number }, [string, string | null]>;
  readonly #setAddress: Statement<unknown, [string, string]>;
  readonly #count: Statement<{ n: number }, []>;

  constructor(opts: RefRegistryOptions) {
    if (!(opts.heartbeatTimeoutMs > 0)) {
      throw new ClusterError("bad-input", "heartbeatTimeoutMs must be a positive number");
    }
    this.#timeout = opts.heartbeatTimeoutMs;
    this.#now = opts.now ?? Date.now;
    this.#max = opts.maxServers ?? 1000;
    let db: Database | undefined;
    try {
      this.#db = db = new Database(opts.path ?? ":memory:", { create: true });
      this.#db.exec("PRAGMA busy_timeout = 5000");
      if (opts.path) this.#db.exec("PRAGMA journal_mode = WAL");
      this.#db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      this.#db.exec(`CREATE TABLE IF NOT EXISTS servers (
        name TEXT PRIMARY KEY, rank INTEGER NOT NULL UNIQUE, address TEXT)`);
      const row = this.#db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'schema_version'").get();
      if (row === null) {
        this.#db.query("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      } else if (row.value !== String(SCHEMA_VERSION)) {
        throw new ClusterError("storage", `registry schema version ${row.value}, expected ${SCHEMA_VERSION}`);
      }
      this.#get = this.#db.query<{ rank: number; address: string | null }, [string]>(
        "SELECT rank, address FROM servers WHERE name = ?",
      );
      this.#insert = this.#db.query<{ rank: number }, [string, string | null]>(
        "INSERT INTO servers (name, rank, address) VALUES (?1, (SELECT COALESCE(MAX(rank), 0) + 1 FROM servers), ?2) RETURNING rank",
      );
      this.#setAddress = this.#db.query<unknown, [string, string]>("UPDATE servers SET address = ?2 WHERE name = ?1");
      this.#count = this.#db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM servers");
    } catch (e) {
      db?.close();
      if (e instanceof ClusterError) throw e;
      throw new ClusterError("storage", `cannot open registry ${opts.path ?? ":memory:"}: ${String(e)}`, e);
    }
  }

  /**
   * The rank of `name`: the same forever once given, new names get the next
   * one (1, 2, 3 …). Marks the server alive and records `address` if given.
   * Throws `ClusterError` for a bad name or address, or when full.
   */
  rank(name: string, address?: string): number {
    checkServerName(name);
    if (address !== undefined) checkAddress(address);
    let row = this.#get.get(name);
    if (row === null) {
      if (this.#count.get()!.n >= this.#max) {
        throw new ClusterError("full", `registry holds ${this.#max} servers already`);
      }
      const rank = this.#insert.get(name, address ?? null)!.rank;
      row = { rank, address: address ?? null };
    } else if (address !== undefined && address !== row.address) {
      this.#setAddress.run(name, address);
    }
    this.#seen.set(name, this.#now());
    return row.rank;
  }

  /**
   * A server says it is alive. Returns false (and records nothing) if the
   * name never got a rank; throws `ClusterError` for a bad name or address.
   */
  heartbeat(name: string, address?: string): boolean {
    checkServerName(name);
    if (address !== undefined) checkAddress(address);
    const row = this.#get.get(name);
    if (row === null) return false;
    if (address !== undefined && address !== row.address) this.#setAddress.run(name, address);
    this.#seen.set(name, this.#now());
    return true;
  }

  /** Servers heard from within the heartbeat timeout, by ascending rank. */
  list(now: number = this.#now()): RegisteredServer[] {
    const out: RegisteredServer[] = [];
    for (const [name, at] of this.#seen) {
      if (now - at > this.#timeout) {
        this.#seen.delete(name);
        continue;
      }
      const row = this.#get.get(name);
      if (row === null) continue;
      out.push(row.address === null ? { name, rank: row.rank } : { name, rank: row.rank, address: row.address });
    }
    return out.sort((a, b) => a.rank - b.rank);
  }

  /** Close the database. */
  close(): void {
    this.#db.close();
  }
}
