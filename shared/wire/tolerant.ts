/**
 * The tolerant reader: what other people's clients and servers put in the
 * fields we read (see dialects.md), turned into our own types. Pure; every
 * function takes untrusted decoded data and never throws.
 *
 * - Integers arrive in any MessagePack width, or as floats (`5.0`); the codec
 *   already turns 64-bit integers into numbers.
 * - `timestamp` is milliseconds, seconds (a value below 1e11), an ISO-8601
 *   string, or MessagePack's timestamp extension (decoded as a Date).
 * - `clock` is a Lamport counter: a finite non-negative number at most
 *   {@link MAX_CLOCK}, rounded down. Anything else is refused, so that no
 *   peer can push a clock to where ticking it leaves the safe integers.
 * - `status` is `"OK"`, `"ok"`, `"sucesso"` or `"erro"`, `"error"`, `"ERROR"`.
 *
 * @module
 */

/**
 * Highest Lamport clock we accept from anyone: 2^48 (about 2.8e14). A clock
 * set this far still leaves 2^53 − 2^48 ticks (about 8.7e15) before the
 * counter leaves the safe integers: centuries at a million writes a second.
 * A client that sends its millisecond wall clock as `clock` (about 1.8e12)
 * is still accepted.
 */
export const MAX_CLOCK = 2 ** 48;

/** Timestamps below this are seconds, at or above it milliseconds (1e11 ms is 1973; 1e11 s is year 5138). */
export const SECONDS_BELOW = 1e11;

/** A Lamport clock as we keep it, or null if the value is not one we accept. */
export function readClock(v: unknown): number | null {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_CLOCK) return null;
  return Math.floor(v);
}

/**
 * A wall-clock reading in whole milliseconds since the Unix epoch, from
 * milliseconds, seconds (below 1e11) or an ISO-8601 string; null otherwise.
 */
export function readTimestamp(v: unknown): number | null {
  if (typeof v === "number") {
    if (!Number.isFinite(v) || v < 0) return null;
    const ms = v < SECONDS_BELOW ? v * 1000 : v;
    return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : null;
  }
  if (v instanceof Date) {
    const ms = v.getTime(); // MessagePack's timestamp extension, as `@msgpack/msgpack` writes a Date
    return Number.isSafeInteger(ms) && ms >= 0 ? ms : null;
  }
  if (typeof v === "string" && v.length <= 64 && /^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(v.trim())) {
    const ms = Date.parse(v.trim());
    return Number.isFinite(ms) && ms >= 0 ? ms : null;
  }
  return null;
}

/** A non-negative integer (a count, limit or seq) from any integer width or an integral float. */
export function readCount(v: unknown): number | null {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/** What a reply's `status` says, in any of the spellings servers use; null when there is none. */
export function readStatus(v: unknown): "ok" | "error" | null {
  if (typeof v !== "string") return null;
  const s = v.trim().toLowerCase();
  if (s === "ok" || s === "sucesso" || s === "success") return "ok";
  if (s === "erro" || s === "error" || s === "fail" || s === "failed") return "error";
  return null;
}
