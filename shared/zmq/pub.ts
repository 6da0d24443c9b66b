/**
 * PUB and XPUB (RFC 29): each subscriber has its own prefix-subscription set;
 * a message goes to every subscriber whose set matches its first frame, and
 * is dropped for subscribers whose queue is at the high-water mark.
 * Subscriptions arrive as ZMTP 3.1 SUBSCRIBE/CANCEL commands or as 3.0 data
 * frames (0x01/0x00 + topic); both are accepted.
 * XPUB additionally hands subscription changes to receive() as
 * [0x01+topic] / [0x00+topic]: only the first subscribe and the last
 * unsubscribe of a topic across all subscribers, unless `verbose`.
 * `receiveWithPeer()` tells which subscriber (user id, credentials) sent a
 * subscription change, including the unsubscribes of one that went away.
 * @module
 */
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket, type Received } from "./socket.ts";
import { Subscriptions } from "./subscriptions.ts";

export interface XPublisherOptions extends SocketOptions {
  verbose?: boolean;
}

export class Publisher extends ZSocket {
  protected readonly subs = new Map<Connection, Subscriptions>();
  /** How many subscribers hold each topic (latin1 key). */
  private readonly holders = new Map<string, number>();

  constructor(options: SocketOptions = {}, type: "PUB" | "XPUB" = "PUB") {
    super(type, options);
  }

  protected peerAdded(c: Connection): void {
    this.subs.set(c, new Subscriptions());
  }

  protected peerRemoved(c: Connection): void {
    const s = this.subs.get(c);
    this.subs.delete(c);
    if (s) for (const t of s.topics()) this.dropHolder(t, false, c);
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
    const s = this.subs.get(c);
    if (!s) return;
    if (subscribe) {
      const fresh = !s.has(topic);
      if (fresh) s.add(topic);
      const k = topic.toString("latin1");
      const n = (fresh ? (this.holders.get(k) ?? 0) + 1 : this.holders.get(k)) ?? 1;
      this.holders.set(k, n);
      this.notify(true, topic, fresh && n === 1, c);
    } else if (s.remove(topic, true)) this.dropHolder(topic, true, c);
  }

  private dropHolder(topic: Buffer, explicit: boolean, c: Connection | null = null): void {
    const k = topic.toString("latin1");
    const n = (this.holders.get(k) ?? 1) - 1;
    if (n <= 0) this.holders.delete(k);
    else this.holders.set(k, n);
    if (n <= 0 || explicit) this.notify(false, topic, n <= 0, c);
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

  /** Never waits: subscribers whose queue is full miss the message. */
  override trySend(parts: Buffer[]): boolean {
    this.checkOpen();
    const topic = parts[0];
    for (const [c, s] of this.subs) {
      if (!c.full && s.matches(topic)) c.send(parts);
    }
    return true;
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
