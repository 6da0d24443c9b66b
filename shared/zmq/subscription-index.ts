/**
 * The subscription index of a PUB/XPUB: which peers hold each subscribed
 * prefix, so that finding a message's subscribers costs what it is
 * delivered to, not what is connected (libzmq gets the same from its trie).
 *
 * A map from topic (latin1 key) to the peers holding it, plus the topic
 * lengths in use: matching a message probes one key per distinct length
 * (at most the message's length, at most the longest topic), and visits
 * only the peers found there. A peer subscribed to "a" and to "ab" gets an
 * "abc" message once: every match call stamps the peers it returns with a
 * fresh mark. A topic's holders are an array (walked without an
 * iterator); each peer remembers its place in the array of every topic it
 * holds, so leaving one is a swap with the last, whatever the number of
 * holders. A peer holds a topic once (RFC 29: repeated subscribes of one
 * topic by one peer are one subscription).
 * @module
 */
import { PrefixLengths, topicKey } from "./subscriptions.ts";

interface Holder<P> {
  readonly peer: P;
  /** Each topic held, and this holder's index in that topic's array. */
  readonly topics: Map<string, number>;
  /** The match call that last returned this peer. */
  mark: number;
}

/** What a subscribe or unsubscribe changed. */
export interface IndexChange {
  /** The peer's subscriptions changed (false: it already held the topic / did not hold it). */
  changed: boolean;
  /** Peers now holding the topic. */
  holders: number;
}

export class SubscriptionIndex<P> {
  private readonly byTopic = new Map<string, Holder<P>[]>();
  private readonly holders = new Map<P, Holder<P>>();
  private readonly lens = new PrefixLengths();
  private mark = 0;

  /** Distinct topics held by at least one peer. */
  get topicCount(): number {
    return this.byTopic.size;
  }

  addPeer(peer: P): void {
    if (!this.holders.has(peer)) this.holders.set(peer, { peer, topics: new Map(), mark: 0 });
  }

  /** Forget a peer; returns the topics (as Buffers) that no peer holds any more. */
  removePeer(peer: P): Buffer[] {
    const h = this.holders.get(peer);
    if (!h) return [];
    this.holders.delete(peer);
    const gone: Buffer[] = [];
    for (const k of h.topics.keys()) if (this.drop(h, k) === 0) gone.push(Buffer.from(k, "latin1"));
    return gone;
  }

  /** Each peer's topics (latin1 keys), as a copy. */
  peers(): Map<P, ReadonlySet<string>> {
    return new Map([...this.holders].map(([p, h]) => [p, new Set(h.topics.keys())]));
  }

  /** Subscriptions one peer holds (0 for an unknown peer). */
  count(peer: P): number {
    return this.holders.get(peer)?.topics.size ?? 0;
  }

  /** Does `peer` hold exactly this topic? */
  has(peer: P, topic: Uint8Array): boolean {
    return this.holders.get(peer)?.topics.has(topicKey(topic)) ?? false;
  }

  /** Peers holding exactly this topic. */
  holdersOf(topic: Uint8Array): number {
    return this.byTopic.get(topicKey(topic))?.length ?? 0;
  }

  subscribe(peer: P, topic: Uint8Array): IndexChange {
    const h = this.holders.get(peer);
    const k = topicKey(topic);
    if (!h) return { changed: false, holders: this.byTopic.get(k)?.length ?? 0 };
    if (h.topics.has(k)) return { changed: false, holders: this.byTopic.get(k)!.length };
    let list = this.byTopic.get(k);
    if (!list) {
      this.byTopic.set(k, (list = []));
      this.lens.add(k.length);
    }
    h.topics.set(k, list.length);
    list.push(h);
    return { changed: true, holders: list.length };
  }

  unsubscribe(peer: P, topic: Uint8Array): IndexChange {
    const h = this.holders.get(peer);
    const k = topicKey(topic);
    if (!h || !h.topics.has(k)) return { changed: false, holders: this.byTopic.get(k)?.length ?? 0 };
    const left = this.drop(h, k);
    h.topics.delete(k);
    return { changed: true, holders: left };
  }

  /**
   * Every peer with a subscription that prefixes `data`, each once,
   * appended to `out` (a fresh array by default; a caller may pass an
   * emptied one of its own to save the allocation).
   */
  match(data: Uint8Array | undefined, out: P[] = []): P[] {
    const lengths = this.lens.lengths;
    if (lengths.length === 0) return out;
    const max = Math.min(data?.length ?? 0, this.lens.max);
    const m = ++this.mark;
    const s = max > 0 ? topicKey(data!, max) : "";
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      if (len > max) break;
      const list = this.byTopic.get(len === max ? s : s.slice(0, len));
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) {
        const h = list[j]!;
        if (h.mark === m) continue;
        h.mark = m;
        out.push(h.peer);
      }
    }
    return out;
  }

  /** Removes `h` from topic `k`'s holders (swapping the last into its place); returns how many are left. */
  private drop(h: Holder<P>, k: string): number {
    const list = this.byTopic.get(k);
    const at = h.topics.get(k);
    if (!list || at === undefined) return list?.length ?? 0;
    const last = list.pop()!;
    if (last !== h) {
      list[at] = last;
      last.topics.set(k, at);
    }
    if (list.length > 0) return list.length;
    this.byTopic.delete(k);
    this.lens.remove(k.length);
    return 0;
  }
}
