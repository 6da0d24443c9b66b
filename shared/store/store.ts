/**
 * Durable chat storage, designed for replication.
 *
 * Every write is a {@link ChatRecord} with a global identity `(origin, seq)`:
 * the name of the server that accepted it and that server's own sequence
 * number (1, 2, 3, … with no gaps). A server appends its own records with
 * `appendLocal` and applies other servers' records with `apply`; `vector()`
 * says, per origin, up to which seq it holds everything, and `since()` hands
 * out what a peer is missing.
 *
 * Message identity: a publish/message carries an `id` (client-generated, or
 * `${origin}:${seq}`). If the same id reaches two servers before they
 * replicate (a client retrying through the broker), both records are kept
 * but only one is visible: the one first in history order (clock, origin,
 * seq). Every server therefore converges on the same visible history.
 *
 * Durability: every write runs in a transaction committed with
 * `synchronous=FULL` (WAL), so a write that returned is on disk. For group
 * commit, run several writes inside `transaction(fn)`: one fsync for all.
 *
 * @module
 */

/**
 * `claim` (a user name registered with a password: `user`, `secret` the
 * argon2id hash) and `session` (a login's token: `user`, `secret` the
 * SHA-256 of the token, `claim` the id of the claim it was granted under)
 * are replicated like every other record but never listed: no history, no
 * users, no deliveries, not in the digest or count (see claims.ts).
 */
export type RecordKind = "login" | "channel" | "publish" | "message" | "claim" | "session";
export const RECORD_KINDS: ReadonlySet<string> = new Set(["login", "channel", "publish", "message", "claim", "session"]);

export interface ChatRecord {
  origin: string;
  seq: number;
  kind: RecordKind;
  /** Message id: client-generated, or `${origin}:${seq}`. */
  id: string;
  user?: string;
  channel?: string;
  src?: string;
  dst?: string;
  message?: string;
  /** claim: the password's argon2id hash; session: the token's SHA-256 (hex). Never the password or token. */
  secret?: string;
  /** session: the id of the claim the session was granted under. */
  claim?: string;
  /** Wall clock (ms) of the accepting server when it accepted the record. */
  timestamp: number;
  /** Lamport clock of the event. */
  clock: number;
}

/** What a server appends for itself: origin and seq are assigned; id defaults to `${origin}:${seq}`. */
export type LocalRecord = Omit<ChatRecord, "origin" | "seq" | "id"> & { id?: string };

export type HistoryQuery = { channel: string } | { user: string; peer: string };

export interface Store {
  /** This store's server name (the origin of local records). */
  readonly serverName: string;
  /**
   * Appends a local record with the next local seq. A record whose `id` is
   * already held returns the held record with duplicate=true and stores nothing.
   */
  appendLocal(r: LocalRecord): { record: ChatRecord; duplicate: boolean };
  /**
   * Idempotently stores a record from another server. Returns true if it
   * added new visible data; false if (origin, seq) was already held, or its
   * id was (then it is kept hidden, so the vector stays contiguous).
   * Throws StoreError on a malformed record.
   */
  apply(r: ChatRecord): boolean;
  /** Per origin, the highest seq such that 1..seq are all held. */
  vector(): Record<string, number>;
  /** Records of `origin` with seq > afterSeq, ascending, at most `limit`. Includes hidden duplicates. */
  since(origin: string, afterSeq: number, limit: number): ChatRecord[];
  /** True if the record (origin, seq) is held. */
  has(origin: string, seq: number): boolean;
  /** The visible record with this id, if any. */
  get(id: string): ChatRecord | undefined;
  hasUser(name: string): boolean;
  users(): string[];
  hasChannel(name: string): boolean;
  channels(): string[];
  /**
   * The claim that owns a user name, if any: of all claims of that name held
   * here, the first in history order (clock, origin, seq).
   */
  claimOf(user: string): { id: string; hash: string } | undefined;
  /** True if `digest` (a token's SHA-256, hex) is a session of `user` granted under its owning claim. */
  hasSession(user: string, digest: string): boolean;
  /**
   * A page of a channel's or a private conversation's messages, oldest
   * first, in (clock, origin, seq) order; `before` (a message id or a clock)
   * pages back. Served by an index. An unknown `before` id gives [].
   */
  history(q: HistoryQuery, limit: number, before?: string | number): ChatRecord[];
  /** Number of visible publish/message records. */
  count(): number;
  /** Highest Lamport clock of any record held (0 when empty): where a restarted server's clock resumes. */
  maxClock(): number;
  /**
   * Hash over all visible publish/message records: the same set of records
   * gives the same digest on every server (kept incrementally, O(1)).
   */
  digest(): string;
  /**
   * Whether each commit waits for fsync (true, the default) or only reaches
   * the OS (WAL, synchronous=NORMAL: survives a crash of the process, not of
   * the machine). Replication turns fsync off while other servers must hold
   * a write before it is acknowledged, and back on when this server is alone.
   */
  setFsync(on: boolean): void;
  /** Runs fn in one transaction (one fsync): group commit. Nested calls join the outer one. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** The one error this layer throws. */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(`store: ${message}`, options);
  }
}

