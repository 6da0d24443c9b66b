/**
 * The `bun:sqlite` implementation of {@link Store}: WAL, synchronous=FULL
 * (NORMAL while replicas back every write, see `setFsync`),
 * busy_timeout, statements prepared at open, a schema-version row that
 * refuses a mismatch, and indexes for every query (history pages never load
 * more than a page).
 *
 * @module
 */
import { Database, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { record as traceRecord, tracing } from "../debug/stall-trace.ts";
import type { CheckpointerReport, CheckpointerStart } from "./checkpointer.ts";
import { ClaimIndex } from "./claims.ts";
import { COLS, DB_FILE, migrate, SCHEMA, SCHEMA_VERSION } from "./schema.ts";
import { before, checkRecord, convKey, fromRow, queryKey, recordHash, type Row } from "./records.ts";
import {
  StoreError,
  type ChatRecord,
  type HistoryQuery,
  type LocalRecord,
  type Store,
} from "./store.ts";

const DIGEST_MOD = 1n << 128n;

/** How the store runs its WAL checkpoints. */
export interface StoreOptions {
  /**
   * Checkpoint from a worker thread (its own connection, every
   * {@link CHECKPOINT_PERIOD_MS}) instead of inside whichever commit fills
   * the log: a checkpoint copies megabytes and fsyncs, which would stall
   * the event loop for milliseconds several times a second under load.
   */
  backgroundCheckpoint?: boolean;
}

/** Period of the background checkpoints. */
export const CHECKPOINT_PERIOD_MS = 100;
/**
 * Log size (frames) at which the writer finishes a checkpoint itself: the
 * log restarts only once fully copied, which a background round racing
 * every commit may never see.
 */
export const RESET_FRAMES = 4096;

/** Opens (creating if needed) the store in `dir/chat.sqlite` for server `serverName`. */
export function openStore(dir: string, serverName: string, opts: StoreOptions = {}): Store {
  if (typeof serverName !== "string" || serverName.length === 0) throw new StoreError("server name required");
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StoreError(`cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  }
  let db: Database;
  try {
    db = new Database(join(dir, DB_FILE), { create: true, strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA cache_size = -8000");
  } catch (err) {
    throw new StoreError(`cannot open ${dir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const store = new SqliteStore(db, serverName);
    if (opts.backgroundCheckpoint) store.checkpointInBackground(join(dir, DB_FILE));
    return store;
  } catch (err) {
    db.close();
    throw err instanceof StoreError ? err : new StoreError((err as Error).message, { cause: err });
  }
}

class SqliteStore implements Store {
  readonly serverName: string;
  private db: Database;
  private localSeq = 0;
  private vec = new Map<string, number>();
  private sum = 0n;
  private nVisible = 0;
  private fsync = true;
  /** Transactions open (nested ones are savepoints). */
  private depth = 0;
  /** Digest/count changed since last written. */
  private digestDirty = false;
  /** Per origin, the highest seq held (gaps possible below it). */
  private top = new Map<string, number>();
  /** Origins whose contiguous mark changed since last written. */
  private vecDirty = new Set<string>();
  private s: Record<string, Statement>;
  private checkpointer: Worker | null = null;
  private finishScheduled = false;
  private claims: ClaimIndex;

  constructor(db: Database, serverName: string) {
    this.db = db;
    this.serverName = serverName;
    db.exec(SCHEMA);
    const ver = db.query("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | null;
    if (ver === null) {
      db.run("INSERT INTO meta(key, value) VALUES ('schema', ?), ('server', ?), ('digest', '0'), ('count', '0')", [SCHEMA_VERSION, serverName]);
    } else if (ver.value !== SCHEMA_VERSION) migrate(db, ver.value); // or refuses it
    const owner = db.query("SELECT value FROM meta WHERE key = 'server'").get() as { value: string } | null;
    if (owner && owner.value !== serverName) {
      throw new StoreError(`data belongs to server '${owner.value}', not '${serverName}'`);
    }
    const q = (sql: string) => db.prepare(sql);
    this.s = {
      insert: q(`INSERT INTO records(${COLS}, conv, hidden) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
      byId: q(`SELECT ${COLS} FROM records WHERE id = ? AND hidden = 0`),
      has: q("SELECT 1 AS x FROM records WHERE origin = ? AND seq = ?"),
      hide: q("UPDATE records SET hidden = 1 WHERE origin = ? AND seq = ?"),
      since: q(`SELECT ${COLS} FROM records WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?`),
      addUser: q("INSERT OR IGNORE INTO users(name) VALUES (?)"),
      addChannel: q("INSERT OR IGNORE INTO channels(name) VALUES (?)"),
      hasUser: q("SELECT 1 AS x FROM users WHERE name = ?"),
      hasChannel: q("SELECT 1 AS x FROM channels WHERE name = ?"),
      users: q("SELECT name FROM users ORDER BY name"),
      channels: q("SELECT name FROM channels ORDER BY name"),
      setVec: q("INSERT INTO vector(origin, contiguous) VALUES (?, ?) ON CONFLICT(origin) DO UPDATE SET contiguous = excluded.contiguous"),
      setMeta: q("UPDATE meta SET value = ? WHERE key = ?"),
      histAll: q(`SELECT ${COLS} FROM records WHERE conv = ? AND hidden = 0 ORDER BY clock DESC, origin DESC, seq DESC LIMIT ?`),
      histClock: q(`SELECT ${COLS} FROM records WHERE conv = ? AND hidden = 0 AND clock < ? ORDER BY clock DESC, origin DESC, seq DESC LIMIT ?`),
      histKey: q(`SELECT ${COLS} FROM records WHERE conv = ? AND hidden = 0 AND (clock, origin, seq) < (?, ?, ?) ORDER BY clock DESC, origin DESC, seq DESC LIMIT ?`),
    };
    this.claims = new ClaimIndex(db);
    this.reload();
  }

  /** Loads the in-memory counters from disk (at open, and after a rolled-back transaction). */
  private reload(): void {
    const m = this.db.query("SELECT MAX(seq) AS m FROM records WHERE origin = ?").get(this.serverName) as { m: number | null };
    this.localSeq = m.m ?? 0;
    this.vec.clear();
    for (const row of this.db.query("SELECT origin, contiguous FROM vector").all() as Array<{ origin: string; contiguous: number }>) {
      this.vec.set(row.origin, row.contiguous);
    }
    this.vecDirty.clear();
    this.top.clear();
    for (const row of this.db.query("SELECT origin, MAX(seq) AS m FROM records GROUP BY origin").all() as Array<{ origin: string; m: number }>) {
      this.top.set(row.origin, row.m);
    }
    const meta = (k: string) => (this.db.query("SELECT value FROM meta WHERE key = ?").get(k) as { value: string }).value;
    this.sum = BigInt(meta("digest"));
    this.nVisible = Number(meta("count"));
  }

  /** Hands checkpoints to a worker thread (see {@link StoreOptions}); falls back to automatic ones if it fails. */
  checkpointInBackground(path: string): void {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./checkpointer.ts", import.meta.url).href);
    } catch {
      return;
    }
    this.db.exec("PRAGMA wal_autocheckpoint = 0");
    // Once restarted, the log file is cut back to this size.
    this.db.exec(`PRAGMA journal_size_limit = ${RESET_FRAMES * 4096}`);
    const fallBack = () => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = null;
      worker.terminate();
      try {
        this.db.exec("PRAGMA wal_autocheckpoint = 1000");
      } catch {
        // closed meanwhile
      }
    };
    worker.onmessage = (e: MessageEvent<CheckpointerReport>) => {
      if ("error" in e.data) return fallBack();
      if (e.data.log >= RESET_FRAMES) this.scheduleFinish();
    };
    worker.onerror = fallBack;
    worker.unref();
    worker.postMessage({ path, periodMs: CHECKPOINT_PERIOD_MS } satisfies CheckpointerStart);
    this.checkpointer = worker;
  }

  /** Soon, outside any transaction: copy the last frames ourselves so the log can restart. */
  private scheduleFinish(): void {
    if (this.finishScheduled) return;
    this.finishScheduled = true;
    const run = () => {
      if (this.checkpointer === null) return;
      if (this.depth > 0) return void setTimeout(run, 1);
      this.finishScheduled = false;
      try {
        this.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch {
        // the worker's next round tells us again
      }
    };
    setImmediate(run);
  }

  setFsync(on: boolean): void {
    if (on === this.fsync) return;
    this.db.exec(`PRAGMA synchronous = ${on ? "FULL" : "NORMAL"}`);
    this.fsync = on;
  }

  /**
   * Runs `fn` in a transaction; inside another one (a group commit) it is a
   * savepoint, so a failing write leaves the rest of the batch intact. The
   * digest, count and vector are written once, when the outermost one commits.
   */
  transaction<T>(fn: () => T): T {
    const outer = this.depth === 0;
    // Digest, count and vector are saved only at the outermost commit, so a
    // failed savepoint restores them from here rather than from disk.
    const snap = {
      sum: this.sum, n: this.nVisible, dirty: this.digestDirty,
      vec: new Map(this.vec), top: new Map(this.top), vecDirty: new Set(this.vecDirty),
    };
    this.depth += 1;
    try {
      const t0 = tracing && outer ? performance.now() : 0;
      let t1 = 0;
      const res = this.db.transaction(() => {
        const out = fn();
        if (outer) this.saveCounters();
        if (t0) t1 = performance.now();
        return out;
      })();
      if (t0) traceRecord("commit", performance.now() - t1);
      return res;
    } catch (err) {
      try {
        this.reload();
        if (!outer) {
          [this.sum, this.nVisible, this.digestDirty] = [snap.sum, snap.n, snap.dirty];
          [this.vec, this.top, this.vecDirty] = [snap.vec, snap.top, snap.vecDirty];
        }
      } catch {
        // the database itself is unusable; the original error says why
      }
      if ((err as Error)?.name === "SQLiteError") throw new StoreError((err as Error).message, { cause: err });
      throw err;
    } finally {
      this.depth -= 1;
    }
  }

  appendLocal(r: LocalRecord): { record: ChatRecord; duplicate: boolean } {
    return this.transaction(() => {
      if (r.id !== undefined) {
        const held = this.get(r.id);
        if (held) return { record: held, duplicate: true };
      }
      const seq = this.localSeq + 1;
      const record: ChatRecord = { ...r, origin: this.serverName, seq, id: r.id ?? `${this.serverName}:${seq}` };
      for (const k of ["user", "channel", "src", "dst", "message", "secret", "claim"] as const) if (record[k] === undefined) delete record[k];
      checkRecord(record);
      this.insert(record, false);
      this.localSeq = seq;
      return { record, duplicate: false };
    });
  }

  apply(r: ChatRecord): boolean {
    checkRecord(r);
    return this.transaction(() => {
      // Held if at or below the contiguous mark; possibly held if below the top.
      if (r.seq <= (this.vec.get(r.origin) ?? 0)) return false;
      if (r.seq <= (this.top.get(r.origin) ?? 0) && this.has(r.origin, r.seq)) return false;
      const held = this.get(r.id);
      let visible = true;
      if (held) {
        if (before(r, held)) {
          this.s.hide!.run(held.origin, held.seq);
          this.unaccount(held);
        } else visible = false;
      }
      this.insert(r, !visible);
      if (r.origin === this.serverName && r.seq > this.localSeq) this.localSeq = r.seq;
      return visible && !held;
    });
  }

  private insert(r: ChatRecord, hidden: boolean): void {
    this.s.insert!.run(
      r.origin, r.seq, r.kind, r.id, r.user ?? null, r.channel ?? null, r.src ?? null, r.dst ?? null,
      r.message ?? null, r.timestamp, r.clock, r.secret ?? null, r.claim ?? null, convKey(r), hidden ? 1 : 0,
    );
    if (r.kind === "login") this.s.addUser!.run(r.user!);
    else if (r.kind === "channel") this.s.addChannel!.run(r.channel!);
    else if (r.kind === "claim" || r.kind === "session") this.claims.note(r);
    else if (!hidden) this.account(r);
    this.advance(r.origin, r.seq);
  }

  private account(r: ChatRecord): void {
    this.sum = (this.sum + recordHash(r)) % DIGEST_MOD;
    this.nVisible += 1;
    this.digestDirty = true;
  }

  private unaccount(r: ChatRecord): void {
    this.sum = (this.sum - recordHash(r) + DIGEST_MOD) % DIGEST_MOD;
    this.nVisible -= 1;
    this.digestDirty = true;
  }

  /** Writes what changed of digest, count and vector (at the outermost commit). */
  private saveCounters(): void {
    if (this.digestDirty) {
      this.s.setMeta!.run(this.sum.toString(), "digest");
      this.s.setMeta!.run(String(this.nVisible), "count");
      this.digestDirty = false;
    }
    for (const origin of this.vecDirty) this.s.setVec!.run(origin, this.vec.get(origin)!);
    this.vecDirty.clear();
  }

  /** Moves the contiguous mark of `origin` forward past `seq` if it closes the gap. */
  private advance(origin: string, seq: number): void {
    if (seq > (this.top.get(origin) ?? 0)) this.top.set(origin, seq);
    let c = this.vec.get(origin) ?? 0;
    if (seq !== c + 1) return;
    c = seq;
    // Only records above the mark can close further gaps.
    if (c < this.top.get(origin)!) while (this.has(origin, c + 1)) c += 1;
    this.vec.set(origin, c);
    this.vecDirty.add(origin);
  }

  vector(): Record<string, number> {
    return Object.fromEntries(this.vec);
  }

  since(origin: string, afterSeq: number, limit: number): ChatRecord[] {
    return (this.s.since!.all(origin, afterSeq, Math.max(0, Math.floor(limit))) as Row[]).map(fromRow);
  }

  has(origin: string, seq: number): boolean {
    return this.s.has!.get(origin, seq) !== null;
  }

  get(id: string): ChatRecord | undefined {
    const row = this.s.byId!.get(id) as Row | null;
    return row ? fromRow(row) : undefined;
  }

  hasUser(name: string): boolean {
    return this.s.hasUser!.get(name) !== null;
  }

  users(): string[] {
    return (this.s.users!.all() as Array<{ name: string }>).map((r) => r.name);
  }

  hasChannel(name: string): boolean {
    return this.s.hasChannel!.get(name) !== null;
  }

  channels(): string[] {
    return (this.s.channels!.all() as Array<{ name: string }>).map((r) => r.name);
  }

  claimOf(user: string): { id: string; hash: string } | undefined {
    return this.claims.claimOf(user);
  }

  hasSession(user: string, digest: string): boolean {
    return this.claims.hasSession(user, digest);
  }

  history(q: HistoryQuery, limit: number, beforeArg?: string | number): ChatRecord[] {
    const conv = queryKey(q);
    const n = Math.max(0, Math.floor(limit));
    let rows: Row[];
    if (beforeArg === undefined) rows = this.s.histAll!.all(conv, n) as Row[];
    else if (typeof beforeArg === "number") rows = this.s.histClock!.all(conv, beforeArg, n) as Row[];
    else {
      const ref = this.get(beforeArg);
      if (!ref) return [];
      rows = this.s.histKey!.all(conv, ref.clock, ref.origin, ref.seq, n) as Row[];
    }
    return rows.reverse().map(fromRow);
  }

  count(): number {
    return this.nVisible;
  }

  maxClock(): number {
    return (this.db.query("SELECT MAX(clock) AS m FROM records").get() as { m: number | null }).m ?? 0;
  }

  digest(): string {
    return this.sum.toString(16).padStart(32, "0");
  }

  close(): void {
    if (this.checkpointer) {
      this.checkpointer.terminate();
      this.checkpointer = null;
    }
    // Fold the log into the database. The stopped worker may still be in the
    // middle of a checkpoint of its own: give it a moment, then leave the log
    // as it is (it is complete; the next open reads it).
    for (let tries = 0; tries < 100; tries++) {
      try {
        const r = this.db.query("PRAGMA wal_checkpoint(TRUNCATE)").get() as { busy: number } | null;
        if (!r || r.busy === 0) break;
      } catch {
        break; // a checkpoint is an optimisation; closing still succeeds
      }
      Bun.sleepSync(5);
    }
    this.db.close();
  }
}
