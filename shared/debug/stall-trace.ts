/**
 * Optional stall tracing for latency work: with `BBS_STALL_TRACE=<file>`
 * set, a server samples its event-loop lag every millisecond and times
 * named phases (`traced(name, fn)`), and every 2 s appends one JSON line
 * to the file: per phase the count, total and longest duration and how
 * many took over 1 and 4 ms; for the loop, how many ticks were late by over
 * 2 and 4 ms. Unset, `traced` only calls `fn`.
 *
 * @module
 */
import { appendFileSync } from "node:fs";

interface PhaseStats {
  n: number;
  totalMs: number;
  maxMs: number;
  over1: number;
  over4: number;
}

const file = process.env.BBS_STALL_TRACE;
const phases = new Map<string, PhaseStats>();
let lag = { ticks: 0, over2: 0, over4: 0, maxMs: 0 };

/** True while tracing is on. */
export const tracing = file !== undefined && file !== "";

/** Records one duration under `name`. */
export function record(name: string, ms: number): void {
  let s = phases.get(name);
  if (!s) phases.set(name, (s = { n: 0, totalMs: 0, maxMs: 0, over1: 0, over4: 0 }));
  s.n += 1;
  s.totalMs += ms;
  if (ms > s.maxMs) s.maxMs = ms;
  if (ms > 1) s.over1 += 1;
  if (ms > 4) s.over4 += 1;
}

/** Runs `fn`, timing it under `name` while tracing is on. */
export function traced<T>(name: string, fn: () => T): T {
  if (!tracing) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    record(name, performance.now() - t0);
  }
}

/** Starts the lag sampler and the periodic dump (no-op unless tracing); returns a stop function. */
export function startStallTrace(label: string): () => void {
  if (!tracing) return () => {};
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    const late = now - last - 1;
    last = now;
    lag.ticks += 1;
    if (late > 2) lag.over2 += 1;
    if (late > 4) lag.over4 += 1;
    if (late > lag.maxMs) lag.maxMs = late;
  }, 1);
  const dump = setInterval(() => {
    const line = { label, t: Date.now(), lag, phases: Object.fromEntries(phases) };
    try {
      appendFileSync(file!, JSON.stringify(line) + "\n");
    } catch {
      // tracing is best effort
    }
    phases.clear();
    lag = { ticks: 0, over2: 0, over4: 0, maxMs: 0 };
  }, 2000);
  return () => {
    clearInterval(sampler);
    clearInterval(dump);
  };
}
