/**
 * Lamport logical clock: tick before every send, merge on every receive.
 *
 * @module
 */

/** A Lamport counter. Pure; no time involved. */
export class LamportClock {
  /** Current counter value. */
  value: number;

  constructor(initial = 0) {
    this.value = isClock(initial) ? initial : 0;
  }

  /** Increments the counter before a send and returns the new value to put in `clock`. */
  tick(): number {
    this.value += 1;
    return this.value;
  }

  /**
   * On receive: counter = max(counter, received). Values that are not
   * non-negative safe integers are ignored. Returns the counter.
   */
  merge(received: unknown): number {
    if (typeof received === "bigint") return this.value; // beyond safe range: ignore
    if (isClock(received) && received > this.value) this.value = received;
    return this.value;
  }
}

/** True for a non-negative safe integer. */
export function isClock(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
