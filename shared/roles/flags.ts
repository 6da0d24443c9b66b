/**
 * Numeric command-line flags of every role, checked: a bad value is a
 * clear start-up error, never NaN further down. A flag given more than
 * once takes its last value.
 *
 * @module
 */

/** The flag's number, `fallback` when absent; throws on a value outside [min, max]. */
export function numberFlag(name: string, raw: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (Array.isArray(raw)) raw = raw.at(-1);
  if (raw === undefined || raw === null || raw === true) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got '${raw}')`);
  return n;
}

/** Like {@link numberFlag}, for whole numbers. */
export function intFlag(name: string, raw: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = numberFlag(name, raw, fallback, min, max);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be a whole number (got '${raw}')`);
  return n;
}
