/**
 * Test harness: the one way tests wait for the system to get somewhere.
 * `eventually(probe)` calls `probe` until it returns without throwing (an
 * `expect` inside it is the usual way to say "not yet") and resolves with
 * what it returned; after the deadline it rejects, quoting the last
 * failure.
 *
 * ```ts
 * const s = await eventually(() => cluster.status("server1").then((s) => { expect(s.count).toBe(3); return s; }));
 * ```
 *
 * @module
 */

export interface EventuallyOptions {
  /** ms before giving up (default 10000). The probe running at the deadline is let finish. */
  timeoutMs?: number;
  /** ms between attempts (default 100). */
  intervalMs?: number;
  /** What is awaited, for the error text (default "condition"). */
  what?: string;
}

/** Resolves with `probe`'s first value that comes without an error; rejects with the last error after `timeoutMs`. */
export async function eventually<T>(probe: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempts = 1; ; attempts++) {
    try {
      return await probe();
    } catch (e) {
      if (Date.now() >= deadline) {
        const last = e instanceof Error ? e.message : String(e);
        throw new Error(`${opts.what ?? "condition"} did not hold within ${timeoutMs} ms (${attempts} attempts); last failure: ${last}`, { cause: e });
      }
    }
    await Bun.sleep(opts.intervalMs ?? 100);
  }
}
