/**
 * SUB and XSUB (RFC 29). Both keep a counted set of their subscriptions,
 * send it to every publisher that connects (so it survives reconnects), and
 * filter incoming messages by prefix. To ZMTP 3.1 peers subscriptions go as
 * SUBSCRIBE/CANCEL commands (RFC 37), to 3.0 peers as data frames.
 * SUB: subscribe()/unsubscribe(), cannot send. XSUB: send([0x01+topic]) /
 * send([0x00+topic]) changes subscriptions; other messages go to every
 * publisher as data.
 * @module
 */
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import { toBuffer, type Frame, type SocketOptions } from "./options.ts";
import { ZSocket } from "./socket.ts";
import { Subscriptions } from "./subscriptions.ts";

export class XSubscriber extends ZSocket {
  protected readonly subscriptions = new Subscriptions();

  constructor(options: SocketOptions = {}, type: "SUB" | "XSUB" = "XSUB") {
    super(type, options);
  }

  protected peerAdded(c: Connection): void {
    for (const t of this.subscriptions.topics()) c.sendSubscription(true, t);
  }

  protected handleMessage(c: Connection, parts: Buffer[]): void {
    if (this.subscriptions.matches(parts[0])) this.deliver(c, parts);
  }

  protected changeSubscription(subscribe: boolean, topic: Buffer): void {
    const changed = subscribe ? this.subscriptions.add(topic) : this.subscriptions.remove(topic);
    if (!changed) return;
    for (const c of this.peers) c.sendSubscription(subscribe, topic);
  }

  /** Never waits: a subscription change, or the message to every publisher with room. */
  override trySend(parts: Buffer[]): boolean {
    this.checkOpen();
    const p = parts[0]!;
    if (parts.length === 1 && p.length > 0 && (p[0] === 0 || p[0] === 1)) {
      this.changeSubscription(p[0] === 1, Buffer.from(p.subarray(1)));
    } else {
      for (const c of this.peers) if (!c.full) c.send(parts);
    }
    return true;
  }

  send(frames: Frame | Frame[]): Promise<void> {
    return this.sendWithoutWaiting(frames);
  }
}

export class Subscriber extends XSubscriber {
  constructor(options: SocketOptions = {}) {
    super(options, "SUB");
  }

  /** Subscribe to topic prefixes; no arguments subscribes to everything. */
  subscribe(...topics: (string | Buffer)[]): void {
    this.checkOpen();
    if (topics.length === 0) topics = [Buffer.alloc(0)];
    for (const t of topics) this.changeSubscription(true, Buffer.from(toBuffer(t)));
  }

  /** Remove subscriptions; no arguments removes the subscribe-to-everything one. */
  unsubscribe(...topics: (string | Buffer)[]): void {
    this.checkOpen();
    if (topics.length === 0) topics = [Buffer.alloc(0)];
    for (const t of topics) this.changeSubscription(false, Buffer.from(toBuffer(t)));
  }

  override trySend(_parts: Buffer[]): boolean {
    throw new ZmtpError("EFSM", "SUB sockets cannot send; use subscribe()");
  }

  override send(_frames: Frame | Frame[]): Promise<void> {
    return Promise.reject(new ZmtpError("EFSM", "SUB sockets cannot send; use subscribe()"));
  }
}
