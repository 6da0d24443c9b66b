/**
 * PUB and XPUB (RFC 29): a message goes to every subscriber holding a
 * prefix of its first frame, found through a subscription index
 * (subscription-index.ts) at a cost that follows the subscribers it is
 * delivered to, not the connections; it is dropped for subscribers whose
 * queue is at a high-water mark (messages or bytes), with a `hwm:drop`
 * event when a subscriber starts missing messages and `hwm:recovered`
 * when it has room again. Each connection may hold at most
 * `maxSubscriptions` topics of at most `maxTopicLength` bytes; others are
 * refused (`subscription:refused`), so no peer can grow the index without
 * bound.
 * Subscriptions arrive as ZMTP 3.1 SUBSCRIBE/CANCEL commands or as 3.0 data
 * frames (0x01/0x00 + topic); both are accepted.
 * XPUB additionally hands subscription changes to receive() as
 * [0x01+topic] / [0x00+topic]: only the first subscribe and the last
 * unsubscribe of a topic across all subscribers, unless `verbose`.
 * `receiveWithPeer()` tells which subscriber (user id, credentials) sent a
 * subscription change, including the unsubscribes of one that went away.
 * @module
 */
import type { PeerInfo } from "./auth.ts";
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket, type Received } from "./socket.ts";
import { SubscriptionIndex } from "./subscription-index.ts";

export interface PublisherOptions extends SocketOptions {
  /** Topics one connection may hold (default 100,000); further subscribes are refused. */
  maxSubscriptions?: number;
  /** Longest topic accepted, in bytes (default 4096); longer subscribes are refused. */
  maxTopicLength?: number;
}

export interface XPublisherOptions extends PublisherOptions {
  verbose?: boolean;
}

export const DEFAULT_MAX_SUBSCRIPTIONS = 100_000;
export const DEFAULT_MAX_TOPIC_LENGTH = 4096;

type Refusal = "topic-length" | "count";

export class Publisher extends ZSocket {
  maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS;
  maxTopicLength = DEFAULT_MAX_TOPIC_LENGTH;
  protected readonly index = new SubscriptionIndex<Connection>();
  /** Subscribers missing messages at their high-water mark: how many so far. */
  private readonly dropping = new Map<Connection, number>();
  /** Refusals already reported, per connection. */
  private readonly refused = new Map<Connection, Set<Refusal>>();
  private readonly targets: Connection[] = [];
  private sending = false;

  constructor(options: PublisherOptions = {}, type: "PUB" | "XPUB" = "PUB") {
    super(type, options);
    for (const k of ["maxSubscriptions", "maxTopicLength"] as const) {
      const v = options[k];
      if (v === undefined) continue;
      if (!Number.isSafeInteger(v) || v <= 0) throw new ZmtpError("EINVAL", `${k} must be a positive integer (got ${v})`);
      this[k] = v;
    }
  }

  protected peerAdded(c: Connection): void {
    this.index.addPeer(c);
  }

  protected peerRemoved(c: Connection): void {
    this.dropping.delete(c);
    this.refused.delete(c);
    for (const t of this.index.removePeer(c)) this.notify(false, t, true, c);
  }

  protected peerDrained(c: Connection): void {
    const dropped = this.dropping.get(c);
    if (dropped === undefined) return;
    this.dropping.delete(c);
    this.events.emit("hwm:recovered", { endpoint: c.endpoint, peer: c.peer!, dropped });
  }

  protected handleMessage(c: Connection, parts: Buffer[]): void {
    const p = parts[0]!;
    if (parts.length === 1 && p.length > 0 && (p[0] === 1 || p[0] === 0)) {
      this.handleSubscription(c, p[0] === 1, p.subarray(1));
    } else this.upstream(c, parts);
  }

  /** Non-subscription messages from subscribers: PUB drops them. */
  protected upstream(_c: Connection, _parts: Buffer[]): void {}

  protected handleSubscription(c: Connection, subscribe: boolean, topic: Buffer): void {
    if (!subscribe) {
      const r = this.index.unsubscribe(c, topic);
      if (r.changed) this.notify(false, topic, r.holders === 0, c);
      return;
    }
    if (topic.length > this.maxTopicLength) return this.refuse(c, "topic-length", topic, this.maxTopicLength);
    if (this.index.count(c) >= this.maxSubscriptions && !this.index.has(c, topic)) return this.refuse(c, "count", topic, this.maxSubscriptions);
    const r = this.index.subscribe(c, topic);
    this.notify(true, topic, r.changed && r.holders === 1, c);
  }

  private refuse(c: Connection, reason: Refusal, topic: Buffer, limit: number): void {
    let seen = this.refused.get(c);
    if (!seen) this.refused.set(c, (seen = new Set()));
    if (seen.has(reason)) return;
    seen.add(reason);
    this.events.emit("subscription:refused", { endpoint: c.endpoint, peer: c.peer!, reason, topicBytes: topic.length, limit });
  }

  /** Each subscriber's topics (a read-only copy, for inspection). */
  protected get subs(): Map<Connection, ReadonlySet<string>> {
    return this.index.peers();
  }

  /** Distinct topics some subscriber holds. */
  get topicCount(): number {
    return this.index.topicCount;
  }

  override receive(): Promise<Buffer[]> {
    if (this.type === "PUB") return Promise.reject(new ZmtpError("EFSM", "PUB sockets cannot receive"));
    return super.receive();
  }

  override receiveWithPeer(): Promise<Received> {
    if (this.type === "PUB") return Promise.reject(new ZmtpError("EFSM", "PUB sockets cannot receive"));
    return super.receiveWithPeer();
  }

  /** Subscription change hook (XPUB reports them). */
  protected notify(_subscribe: boolean, _topic: Buffer, _firstOrLast: boolean, _c: Connection | null): void {}

  /**
   * Never waits: subscribers whose queue is full miss the message. With
   * `allow`, only the matching subscribers it accepts get it (a relay
   * deciding by who each subscriber authenticated as).
   */
  override trySend(parts: Buffer[], allow?: (peer: PeerInfo) => boolean): boolean {
    this.checkOpen();
    // one array for the matches, unless a send from inside this one (an event listener) needs its own
    const nested = this.sending;
    const targets = this.index.match(parts[0], nested ? [] : this.targets);
    this.sending = true;
    try {
      for (let i = 0; i < targets.length; i++) {
        const c = targets[i]!;
        if (allow !== undefined && !allow(c.peer!)) continue;
        if (!c.full) c.send(parts);
        else this.drop(c);
      }
    } finally {
      if (!nested) {
        this.sending = false;
        targets.length = 0;
      }
    }
    return true;
  }

  private drop(c: Connection): void {
    const n = this.dropping.get(c);
    this.dropping.set(c, (n ?? 0) + 1);
    if (n === undefined) this.events.emit("hwm:drop", { endpoint: c.endpoint, peer: c.peer!, messages: c.queued, bytes: c.queuedBytes });
  }

  send(frames: Frame | Frame[]): Promise<void> {
    return this.sendWithoutWaiting(frames);
  }
}

export class XPublisher extends Publisher {
  verbose = false;

  constructor(options: XPublisherOptions = {}) {
    super(options, "XPUB");
    if (options.verbose !== undefined) this.verbose = options.verbose;
  }

  protected notify(subscribe: boolean, topic: Buffer, firstOrLast: boolean, c: Connection | null): void {
    if (!firstOrLast && !(subscribe && this.verbose)) return;
    const b = Buffer.allocUnsafe(topic.length + 1);
    b[0] = subscribe ? 1 : 0;
    topic.copy(b, 1);
    this.deliver(c, [b]);
  }

  protected upstream(c: Connection, parts: Buffer[]): void {
    this.deliver(c, parts);
  }
}
