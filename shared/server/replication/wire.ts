/**
 * What replicating servers say to each other, checked before it is used:
 * the push batch published on topic `replication`, the peer services
 * `replicate` (direct push), `replicated` (acknowledgement), `vector` and
 * `fetch` (anti-entropy), their limits, and the one error of this layer.
 *
 * Records travel as {@link ChatRecord} maps; the store checks each record
 * itself (`apply` throws StoreError on a malformed one), so here only the
 * envelope around them is checked. Anything malformed is refused with a
 * ReplicationError, never half-used.
 *
 * @module
 */
import type { ChatRecord } from "../../store/store.ts";

/** The one error the replication layer throws. */
export class ReplicationError extends Error {
  override name = "ReplicationError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(`replication: ${message}`, options);
  }
}

/** Most records in one push batch or one fetched page. */
export const MAX_BATCH_RECORDS = 2000;
/** Rough byte budget of one batch or page (records are cut off beyond it). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Most seq ranges in one acknowledgement. */
export const MAX_ACK_RANGES = 10_000;
/** Most origins in a version vector. */
export const MAX_ORIGINS = 10_000;
/** Longest origin / server name / address accepted here. */
const MAX_LABEL = 512;

/** `[lo, hi]`: every seq from lo to hi, inclusive. */
export type SeqRange = [number, number];

/** A push batch: records of `origin` (the sender's own), sender name and peer address for the ack. */
export interface PushBatch {
  from: string;
  origin: string;
  address: string;
  records: ChatRecord[];
}

/** An acknowledgement: `from` holds these seqs of `origin` on disk. */
export interface Ack {
  from: string;
  origin: string;
  ranges: SeqRange[];
}

/** Arguments of `fetch`. */
export interface FetchArgs {
  origin: string;
  after: number;
  limit: number;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function label(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_LABEL) throw new ReplicationError(`${what} must be a string of 1–${MAX_LABEL} characters`);
  return v;
}

function seqNumber(v: unknown, what: string, min: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new ReplicationError(`${what} must be an integer ≥ ${min}`);
  return v;
}

function recordList(v: unknown): ChatRecord[] {
  if (!Array.isArray(v)) throw new ReplicationError("records must be a list");
  if (v.length > MAX_BATCH_RECORDS) throw new ReplicationError(`at most ${MAX_BATCH_RECORDS} records per batch, got ${v.length}`);
  return v as ChatRecord[];
}

/** Checks a push batch (`replication` topic or `replicate` service). */
export function parsePush(data: unknown): PushBatch {
  if (!isMap(data)) throw new ReplicationError("push batch must be a map");
  return {
    from: label(data.from, "from"),
    origin: label(data.origin, "origin"),
    address: label(data.address, "address"),
    records: recordList(data.records),
  };
}

/** Checks an acknowledgement (`replicated` service). */
export function parseAck(data: unknown): Ack {
  if (!isMap(data)) throw new ReplicationError("ack must be a map");
  const ranges = data.ranges;
  if (!Array.isArray(ranges) || ranges.length > MAX_ACK_RANGES) throw new ReplicationError(`ranges must be a list of at most ${MAX_ACK_RANGES}`);
  const out: SeqRange[] = [];
  for (const r of ranges) {
    if (!Array.isArray(r) || r.length !== 2) throw new ReplicationError("a range is [lo, hi]");
    const lo = seqNumber(r[0], "range start", 1);
    const hi = seqNumber(r[1], "range end", lo);
    out.push([lo, hi]);
  }
  return { from: label(data.from, "from"), origin: label(data.origin, "origin"), ranges: out };
}

/** Checks a version vector (`vector` reply). */
export function parseVector(v: unknown): Record<string, number> {
  if (!isMap(v)) throw new ReplicationError("vector must be a map");
  const keys = Object.keys(v);
  if (keys.length > MAX_ORIGINS) throw new ReplicationError(`vector has more than ${MAX_ORIGINS} origins`);
  const out: Record<string, number> = {};
  for (const k of keys) out[label(k, "origin")] = seqNumber(v[k], `vector[${k}]`, 0);
  return out;
}

/** Checks `fetch` arguments; `limit` is clamped to the page maximum. */
export function parseFetch(data: unknown, maxLimit = MAX_BATCH_RECORDS): FetchArgs {
  if (!isMap(data)) throw new ReplicationError("fetch arguments must be a map");
  const limit = seqNumber(data.limit ?? maxLimit, "limit", 1);
  return { origin: label(data.origin, "origin"), after: seqNumber(data.after, "after", 0), limit: Math.min(limit, maxLimit) };
}

/** Checks a `fetch` reply's page. */
export function parsePage(data: unknown): ChatRecord[] {
  if (!isMap(data)) throw new ReplicationError("page must be a map");
  return recordList(data.records);
}

/** A record's rough size on the wire, for byte budgets. */
export function approxSize(r: ChatRecord): number {
  return 64 + r.origin.length + r.id.length + (r.user?.length ?? 0) + (r.channel?.length ?? 0) + (r.src?.length ?? 0) + (r.dst?.length ?? 0) + (r.message?.length ?? 0) * 3 + (r.secret?.length ?? 0) + (r.claim?.length ?? 0);
}

/** Splits records into batches within the record and byte budgets (order kept). */
export function chunk(records: ChatRecord[], maxRecords = MAX_BATCH_RECORDS, maxBytes = MAX_BATCH_BYTES): ChatRecord[][] {
  const out: ChatRecord[][] = [];
  let cur: ChatRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const n = approxSize(r);
    if (cur.length > 0 && (cur.length >= maxRecords || bytes + n > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Sorted seqs → maximal ranges. */
export function toRanges(seqs: number[]): SeqRange[] {
  const s = [...seqs].sort((a, b) => a - b);
  const out: SeqRange[] = [];
  for (const x of s) {
    const last = out[out.length - 1];
    if (last && x <= last[1] + 1) last[1] = Math.max(last[1], x);
    else out.push([x, x]);
  }
  return out;
}

/** Adds ranges into a sorted, merged range list (in place) and returns it. */
export function mergeRanges(into: SeqRange[], add: SeqRange[]): SeqRange[] {
  const all = [...into, ...add].sort((a, b) => a[0] - b[0]);
  const out: SeqRange[] = [];
  for (const [lo, hi] of all) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  into.length = 0;
  into.push(...out);
  return into;
}
