/**
 * Benchmark arithmetic: quantiles of latency samples, a process's resident
 * memory from `/proc/<pid>/status`, and number formatting for the tables.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Quantile `p` (0..1) of samples (sorts a copy); NaN if there are none. */
export function quantile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = Float64Array.from(samples).sort();
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** p50 and p99 of samples. */
export function p50p99(samples: number[]): { p50: number; p99: number } {
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

/** Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB; null once it is gone. */
export function rssOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** A number with `digits` decimals, or "n/a". */
export function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits);
}
