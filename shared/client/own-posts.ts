/**
 * Each message shown once: the ids of deliveries already shown, and our
 * own channel posts between sending and showing. A post of ours shows
 * from whichever comes first, its acknowledgement or its delivery; a
 * server that sends our post back without our id is recognised by its
 * text. Pure bookkeeping for the session; no sockets.
 *
 * @module
 */
import { isOwnPost, type Delivery } from "./delivery.ts";

/** How many delivery ids are remembered to drop duplicates. */
const SEEN_IDS = 2000;
/** Own posts shown from the ack whose delivery may still come back without an id: how many, and for how long. */
const ECHOED_MAX = 200;
const ECHOED_MS = 30_000;

/** One of our own posts, to recognise it when a server sends it back without our id. */
interface OwnPost {
  channel: string;
  text: string;
}

export class OwnPosts {
  private readonly seen = new Set<string>();
  /** Own posts sent and not yet shown, by id. */
  private readonly pending = new Map<string, OwnPost>();
  /** Own posts shown from the ack, oldest first. */
  private echoed: (OwnPost & { at: number })[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly me: string) {}

  /** Own channel posts not yet shown. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Whether a delivery with this id was shown (or marked seen). */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
  }

  /** A post of ours is on its way. */
  sending(id: string, channel: string, text: string): void {
    this.pending.set(id, { channel, text });
  }

  /** It was refused or never answered. */
  failed(id: string): void {
    if (this.pending.delete(id)) this.wake();
  }

  /** It was acknowledged: returns whether to show it now (its delivery has not shown it yet). */
  acknowledged(id: string, channel: string, text: string): boolean {
    if (this.seen.has(id)) return false;
    this.remember(id);
    if (this.pending.delete(id)) this.wake();
    this.echoed.push({ channel, text, at: Date.now() });
    if (this.echoed.length > ECHOED_MAX) this.echoed.shift();
    return true;
  }

  /** A delivery came: returns whether to show it (not a repeat of one shown). */
  delivered(d: Delivery): boolean {
    if (d.id === undefined) return !this.ownRepeat(d);
    if (this.seen.has(d.id)) return false;
    this.remember(d.id);
    if (this.pending.delete(d.id)) this.wake();
    return true;
  }

  /** Resolves once every own post showed, after `maxMs`, or once `stop()` says so. */
  async settle(maxMs: number, stop: () => boolean): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.pending.size > 0 && Date.now() < deadline && !stop()) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /**
   * Recognises our own post coming back with no id (a server that keeps
   * none): one still in flight is shown now and not again from its ack; one
   * already shown from its ack is dropped.
   */
  private ownRepeat(d: Delivery): boolean {
    for (const [id, post] of this.pending) {
      if (!isOwnPost(d, this.me, post.channel, post.text)) continue;
      this.remember(id);
      this.pending.delete(id);
      this.wake();
      return false;
    }
    const now = Date.now();
    this.echoed = this.echoed.filter((e) => now - e.at < ECHOED_MS);
    const i = this.echoed.findIndex((e) => isOwnPost(d, this.me, e.channel, e.text));
    if (i < 0) return false;
    this.echoed.splice(i, 1);
    return true;
  }
}
