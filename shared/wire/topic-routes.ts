/**
 * Handlers for the exact topics a SUB socket is subscribed to: adding one
 * subscribes, its returned function unsubscribes (only if it is still the
 * handler of that topic). ZeroMQ filters by prefix, so whoever reads the
 * socket looks the topic frame up here, exactly.
 *
 * @module
 */

/** What a SUB socket offers for subscribing (ours and libzmq-shaped ones alike). */
export interface Subscribable {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

export class TopicRoutes<H> {
  private readonly handlers = new Map<string, H>();

  constructor(private readonly sub: Subscribable) {}

  /** Routes `topic` to `handler`; returns the function that stops it. */
  on(topic: string, handler: H): () => void {
    this.handlers.set(topic, handler);
    this.sub.subscribe(topic);
    return () => {
      if (this.handlers.get(topic) !== handler) return;
      this.handlers.delete(topic);
      this.sub.unsubscribe(topic);
    };
  }

  /** The handler of exactly this topic, if any. */
  get(topic: string): H | undefined {
    return this.handlers.get(topic);
  }
}
