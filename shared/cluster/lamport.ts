/**
 * Lamport logical clock: tick before every send, merge on every receive.
 *
 * Only clocks {@link readClock} accepts are merged (finite, non-negative, at
 * most MAX_CLOCK, rounded down), so no message from anyone can move the
 * counter to where ticking it would leave the safe integers.
 *
 * @module
 */
import { readClock } from "../wire/tolerant.ts";

/** A Lamport counter. Pure; no time involved. */
export class LamportClock {
  /** Current counter value. */
  value: number;

  constructor(initial = 0) {
    this.value = readClock(initial) ?? 0;
  }

  /** Increments the counter before a send and returns the new value to put in `clock`. */
  tick(): number {
    this.value += 1;
    return this.value;
  }

  /** On receive: counter = max(counter, received). Values readClock refuses are ignored. Returns the counter. */
  merge(received: unknown): number {
    const c = readClock(received);
    if (c !== null && c > this.value) this.value = c;
    return this.value;
  }
}

/** True for a clock value we keep: a non-negative integer at most MAX_CLOCK. */
export function isClock(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && readClock(v) === v;
}
