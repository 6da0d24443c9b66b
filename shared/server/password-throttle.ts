/**
 * A bound on password guessing, per server: after MAX_FAILURES wrong
 * passwords for one name within WINDOW_MS, further logins with a password
 * for that name are refused at once, without a hash, until the oldest of
 * those failures is WINDOW_MS old. A right password clears the name's
 * count. The state is soft (memory only, never replicated) and holds at
 * most MAX_NAMES names, forgetting the least recently failed first, so a
 * stranger cycling through names cannot grow it.
 * @module
 */

export const MAX_FAILURES = 5;
export const WINDOW_MS = 60_000;
export const MAX_NAMES = 10_000;

export class PasswordThrottle {
  /** Failure times per name, oldest first; Map order = least recently failed first. */
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Ms until `user` may try again, or 0 if it may now. */
  wait(user: string): number {
    const times = this.recent(user);
    if (times.length < MAX_FAILURES) return 0;
    return times[times.length - MAX_FAILURES]! + WINDOW_MS - this.now();
  }

  failed(user: string): void {
    const times = this.recent(user);
    times.push(this.now());
    this.failures.delete(user);
    this.failures.set(user, times.slice(-MAX_FAILURES));
    if (this.failures.size > MAX_NAMES) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(user: string): void {
    this.failures.delete(user);
  }

  private recent(user: string): number[] {
    const since = this.now() - WINDOW_MS;
    return (this.failures.get(user) ?? []).filter((t) => t > since);
  }
}
