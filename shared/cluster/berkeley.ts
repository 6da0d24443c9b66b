/**
 * Physical clock synchronisation, as pure functions.
 *
 * - {@link berkeleyRound}: the coordinator's side of the Berkeley algorithm.
 *   It polls every server's clock, estimates each one's offset from its own
 *   clock (compensating half the round trip), discards untrustworthy or
 *   outlying readings, averages the offsets of the rest (its own offset, 0,
 *   included) and tells each server how far to move its clock.
 * - {@link cristianCorrection}: a follower asking the coordinator `clock`
 *   (Cristian's method): the correction that brings its clock to the
 *   coordinator's.
 *
 * Adjustments are relative deltas, so the time they take to reach a server
 * does not matter.
 * @module
 */

/** One answer to the coordinator's `clock` poll. */
export interface ClockReading {
  /** Server name. */
  name: string;
  /** The server's clock reading, as it replied. */
  time: number;
  /** Coordinator clock when the poll was sent. */
  sentAt: number;
  /** Coordinator clock when the reply arrived. */
  receivedAt: number;
}

/** How far one server must move its clock. */
export interface ClockAdjustment {
  name: string;
  /** Add this to the server's clock offset (ms). */
  adjustMs: number;
}

/** Why a reading was left out of the average. */
export type DiscardReason = "invalid" | "rtt" | "deviation";

/** Outcome of one Berkeley round. */
export interface BerkeleyResult {
  /**
   * Per-server adjustments, the coordinator's first. Servers discarded for
   * `deviation` still get one (they need it most); those discarded as
   * `invalid` or for `rtt` get none, since their offset is not known.
   */
  adjustments: ClockAdjustment[];
  /** Mean offset (relative to the coordinator's clock) of the kept readings. */
  averageOffsetMs: number;
  /** Estimated offset of every server with a usable reading. */
  offsets: Array<{ name: string; offsetMs: number; rttMs: number }>;
  /** Readings left out of the average. */
  discarded: Array<{ name: string; reason: DiscardReason }>;
}

/** Tuning for {@link berkeleyRound}. */
export interface BerkeleyOptions {
  /** Readings whose round trip exceeds this are discarded (default 1000 ms). */
  maxRttMs?: number;
  /** Discard readings whose rtt exceeds `rttFactor ×` the median rtt … (default 3) */
  rttFactor?: number;
  /** … plus this slack, so tiny median rtts don't discard everything (default 10 ms). */
  rttSlackMs?: number;
  /** Offsets further than this from the median offset are left out of the average (default 5000 ms). */
  maxDeviationMs?: number;
}

/**
 * The coordinator's side of a Berkeley round.
 * @param coordinator the coordinator's own name (its offset is 0 by definition)
 * @param readings the replies it got to its `clock` poll (missing servers simply absent)
 */
export function berkeleyRound(
  coordinator: string,
  readings: readonly ClockReading[],
  opts: BerkeleyOptions = {},
): BerkeleyResult {
  const maxRtt = opts.maxRttMs ?? 1000;
  const rttFactor = opts.rttFactor ?? 3;
  const rttSlack = opts.rttSlackMs ?? 10;
  const maxDeviation = opts.maxDeviationMs ?? 5000;
  const discarded: BerkeleyResult["discarded"] = [];

  const usable: Array<{ name: string; offsetMs: number; rttMs: number }> = [];
  for (const r of readings) {
    const rtt = r.receivedAt - r.sentAt;
    if (
      r.name === coordinator ||
      ![r.time, r.sentAt, r.receivedAt].every(Number.isFinite) ||
      rtt < 0 ||
      usable.some((u) => u.name === r.name)
    ) {
      discarded.push({ name: r.name, reason: "invalid" });
      continue;
    }
    usable.push({ name: r.name, offsetMs: r.time + rtt / 2 - r.receivedAt, rttMs: rtt });
  }

  const rttLimit = Math.min(maxRtt, rttFactor * median(usable.map((u) => u.rttMs)) + rttSlack);
  const timely = usable.filter((u) => {
    if (u.rttMs <= rttLimit) return true;
    discarded.push({ name: u.name, reason: "rtt" });
    return false;
  });

  const mid = median([0, ...timely.map((u) => u.offsetMs)]);
  const kept = timely.filter((u) => {
    if (Math.abs(u.offsetMs - mid) <= maxDeviation) return true;
    discarded.push({ name: u.name, reason: "deviation" });
    return false;
  });

  const average = kept.reduce((sum, u) => sum + u.offsetMs, 0) / (kept.length + 1);
  const adjustments: ClockAdjustment[] = [{ name: coordinator, adjustMs: average }];
  for (const u of timely) adjustments.push({ name: u.name, adjustMs: average - u.offsetMs });
  return { adjustments, averageOffsetMs: average, offsets: usable, discarded };
}

/** A follower's exchange with the coordinator's `clock` service. */
export interface CristianSample {
  /** Follower clock when the request was sent. */
  sentAt: number;
  /** Follower clock when the reply arrived. */
  receivedAt: number;
  /** The coordinator's `time` from the reply. */
  time: number;
}

/** Result of {@link cristianCorrection}. */
export type CristianResult =
  | { ok: true; deltaMs: number; rttMs: number }
  | { ok: false; reason: string };

/**
 * Cristian's method: the delta to add to the follower's clock so it reads
 * what the coordinator's does (`time + rtt/2 - receivedAt`). Replies with a
 * round trip above `maxRttMs` (default 1000) are refused as untrustworthy.
 */
export function cristianCorrection(
  sample: CristianSample,
  opts: { maxRttMs?: number } = {},
): CristianResult {
  const { sentAt, receivedAt, time } = sample;
  if (![sentAt, receivedAt, time].every((v) => typeof v === "number" && Number.isFinite(v))) {
    return { ok: false, reason: "non-numeric clock sample" };
  }
  const rtt = receivedAt - sentAt;
  if (rtt < 0) return { ok: false, reason: "reply received before request was sent" };
  const maxRtt = opts.maxRttMs ?? 1000;
  if (rtt > maxRtt) return { ok: false, reason: `round trip ${rtt} ms exceeds ${maxRtt} ms` };
  return { ok: true, deltaMs: time + rtt / 2 - receivedAt, rttMs: rtt };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
