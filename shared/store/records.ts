/**
 * Records as the SQLite store keeps them: the row shape, the conversation
 * key history is indexed by, the per-record hash the digest sums, the
 * history order, and the check every stored record passes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { isClock } from "../cluster/lamport.ts";
import { RECORD_KINDS, StoreError, type ChatRecord, type HistoryQuery } from "./store.ts";

/** A `records` row. */
export interface Row {
  origin: string; seq: number; kind: string; id: string;
  user: string | null; channel: string | null; src: string | null; dst: string | null; message: string | null;
  timestamp: number; clock: number;
  secret: string | null; claim: string | null;
}

/** The conversation key a record's history lives under, or null. */
export function convKey(r: { kind: string; channel?: string; src?: string; dst?: string }): string | null {
  if (r.kind === "publish" && r.channel !== undefined) return `c\n${r.channel}`;
  if (r.kind === "message" && r.src !== undefined && r.dst !== undefined) {
    return r.src <= r.dst ? `p\n${r.src}\n${r.dst}` : `p\n${r.dst}\n${r.src}`;
  }
  return null;
}

/** The conversation key of a history query. */
export function queryKey(q: HistoryQuery): string {
  if ("channel" in q) return `c\n${q.channel}`;
  return convKey({ kind: "message", src: q.user, dst: q.peer })!;
}

/** A record's 128-bit hash; the digest is their sum, so order does not matter. */
export function recordHash(r: ChatRecord): bigint {
  const h = createHash("sha256")
    .update(JSON.stringify([r.origin, r.seq, r.kind, r.id, r.user, r.channel, r.src, r.dst, r.message, r.timestamp, r.clock]))
    .digest();
  return h.readBigUInt64BE(0) * (1n << 64n) + h.readBigUInt64BE(8);
}

/** A row back to a record (nulls dropped). */
export function fromRow(row: Row): ChatRecord {
  const r: ChatRecord = { origin: row.origin, seq: row.seq, kind: row.kind as ChatRecord["kind"], id: row.id, timestamp: row.timestamp, clock: row.clock };
  if (row.user !== null) r.user = row.user;
  if (row.channel !== null) r.channel = row.channel;
  if (row.src !== null) r.src = row.src;
  if (row.dst !== null) r.dst = row.dst;
  if (row.message !== null) r.message = row.message;
  if (row.secret !== null) r.secret = row.secret;
  if (row.claim !== null) r.claim = row.claim;
  return r;
}

/** Order of two records in history: (clock, origin, seq). */
export function before(a: ChatRecord, b: ChatRecord): boolean {
  if (a.clock !== b.clock) return a.clock < b.clock;
  if (a.origin !== b.origin) return a.origin < b.origin;
  return a.seq < b.seq;
}

function isOptString(v: unknown): boolean {
  return v === undefined || v === null || typeof v === "string";
}

/** Throws StoreError unless r is a well-formed record. */
export function checkRecord(r: unknown): asserts r is ChatRecord {
  const x = r as Record<string, unknown>;
  const bad = (why: string) => new StoreError(`malformed record: ${why}`);
  if (!x || typeof x !== "object") throw bad("not a map");
  if (typeof x.origin !== "string" || x.origin.length === 0) throw bad("origin");
  if (typeof x.seq !== "number" || !Number.isSafeInteger(x.seq) || x.seq < 1) throw bad("seq");
  if (typeof x.kind !== "string" || !RECORD_KINDS.has(x.kind)) throw bad("kind");
  if (typeof x.id !== "string" || x.id.length === 0) throw bad("id");
  if (typeof x.timestamp !== "number" || !Number.isFinite(x.timestamp)) throw bad("timestamp");
  if (!isClock(x.clock)) throw bad("clock");
  for (const f of ["user", "channel", "src", "dst", "message", "secret", "claim"]) if (!isOptString(x[f])) throw bad(f);
  const need: Record<string, string[]> = {
    login: ["user"], channel: ["channel"], publish: ["user", "channel", "message"], message: ["src", "dst", "message"],
    claim: ["user", "secret"], session: ["user", "secret", "claim"],
  };
  for (const f of need[x.kind]!) if (typeof x[f] !== "string") throw bad(`${x.kind} needs ${f}`);
}
