/**
 * A server's physical clock: the machine's wall clock read through an offset.
 *
 * Every server starts with a random skew so that Berkeley synchronisation has
 * something visible to correct; the synchroniser then calls {@link WallClock.adjust}.
 * @module
 */
import { ClusterError } from "./errors.ts";

/** Options for {@link WallClock}. */
export interface WallClockOptions {
  /** Initial offset in ms; default a random value in ±1000. */
  skewMs?: number;
  /** The underlying clock; default `Date.now`. */
  base?: () => number;
}

/** Wall clock with an adjustable offset (milliseconds since the Unix epoch). */
export class WallClock {
  #offset: number;
  readonly #base: () => number;

  constructor(opts: WallClockOptions = {}) {
    this.#base = opts.base ?? Date.now;
    const skew = opts.skewMs ?? Math.round((Math.random() * 2 - 1) * 1000);
    this.#offset = Math.round(checkFinite(skew, "skewMs"));
  }

  /** Current reading: base clock plus offset, in whole ms (it goes out as an integer timestamp). */
  now(): number {
    return Math.round(this.#base() + this.#offset);
  }

  /** Current offset from the base clock, in ms. */
  get offset(): number {
    return this.#offset;
  }

  set offset(value: number) {
    this.#offset = Math.round(checkFinite(value, "offset"));
  }

  /** Shift the clock by `deltaMs` (positive moves it forward), in whole ms: readings and offsets go out as integers. */
  adjust(deltaMs: number): void {
    this.#offset += Math.round(checkFinite(deltaMs, "deltaMs"));
  }
}

function checkFinite(v: number, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ClusterError("bad-input", `${what} must be a finite number, got ${String(v)}`);
  }
  return v;
}
