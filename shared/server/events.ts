/**
 * A small typed event emitter: `on()` returns the function that unsubscribes,
 * so a component that subscribes in `start()` keeps the returned functions
 * and calls them in `stop()`, and nothing is left hooked after it stopped.
 *
 * @module
 */

/** Event names to the arguments their listeners take. */
export type EventMap = Record<string, unknown[]>;

export class Events<M extends EventMap> {
  private readonly listeners = new Map<keyof M, Set<(...args: any[]) => void>>();

  /** Calls `fn` on every `emit(event, …)` until the returned function is called. */
  on<K extends keyof M>(event: K, fn: (...args: M[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => void set.delete(fn);
  }

  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const f of [...set]) f(...args);
  }
}

/** Runs every unsubscribe function once and empties the list. */
export function offAll(offs: (() => void)[]): void {
  for (const off of offs.splice(0)) off();
}
