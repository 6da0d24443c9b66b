/**
 * Base class of every socket type: bind/connect (with reconnect and
 * backoff), the set of ready peers, the receive queue with its high-water
 * marks (inbox.ts), async receive with timeout and iteration, blocking
 * round-robin send, and close/linger. Socket types override the
 * `protected` hooks. Security options are captured per bind()/connect()
 * (security.ts); `events` and `receiveWithPeer()` tell who each peer is
 * (auth.ts); `queueSizes()` what it holds.
 * @module
 */
import type { Socket as BunSocket } from "bun";
import type { PeerInfo } from "./auth.ts";
import type { SocketType } from "./compat.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { Endpoints } from "./endpoints.ts";
import { ZmtpError } from "./errors.ts";
import { SocketEvents } from "./events.ts";
import { Inbox, type Incoming } from "./inbox.ts";
import { Queue } from "./queue.ts";
import { resolveSecurity, SECURITY_OPTION_KEYS, type Security, type SecurityOptions } from "./security.ts";
import { DEFAULT_HIGH_WATER_MARK_BYTES, DEFAULT_MAX_MESSAGE_SIZE, OPTION_KEYS, toParts, validateOptions, type Frame, type SocketOptions } from "./options.ts";

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: ZmtpError) => void;
  timer: ReturnType<typeof setTimeout> | null;
  /** receiveWithPeer(): resolve with the message and its PeerInfo. */
  withPeer?: boolean;
}
interface SendWaiter extends Waiter<void> {
  parts: Buffer[];
  onSent?: (c: Connection) => void;
}
export type { Incoming } from "./inbox.ts";

/** A message with the peer it came from (null when that connection is gone). */
export interface Received {
  message: Buffer[];
  peer: PeerInfo | null;
}

// the security options are plain fields of every socket (declaration merging)
export interface ZSocket extends SecurityOptions {}

export abstract class ZSocket implements ConnectionOwner, AsyncIterable<Buffer[]> {
  routingId: string | Buffer | undefined = undefined;
  receiveTimeout = -1;
  sendTimeout = -1;
  sendHighWaterMark = 1000;
  sendHighWaterMarkBytes = DEFAULT_HIGH_WATER_MARK_BYTES;
  receiveHighWaterMark = 1000;
  receiveHighWaterMarkBytes = DEFAULT_HIGH_WATER_MARK_BYTES;
  linger = 0;
  reconnectInterval = 100;
  reconnectMaxInterval = 0;
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
  metadata: Record<string, string> = {};
  lastEndpoint: string | null = null;
  closed = false;
  /** handshake / handshake:error / disconnect notifications. */
  readonly events = new SocketEvents();

  protected readonly conns = new Set<Connection>();
  protected peers: Connection[] = [];
  private rr = 0;
  private readonly inbox = new Inbox(this);
  private readonly recvWaiters = new Queue<Waiter<any>>();
  private readonly sendWaiters = new Queue<SendWaiter>();
  private readonly readableWaiters: (() => void)[] = [];
  private readonly endpoints = new Endpoints(this, (s, sec, ep) => this.adopt(s, sec, ep));

  constructor(
    readonly type: SocketType,
    options: SocketOptions = {},
  ) {
    for (const k of OPTION_KEYS) if (options[k] !== undefined) (this as any)[k] = options[k];
    for (const k of SECURITY_OPTION_KEYS) if (options[k] !== undefined) (this as any)[k] = options[k];
    validateOptions(this);
    resolveSecurity(this);
  }

  get ownRoutingId(): Buffer | null {
    if (this.routingId === undefined || this.routingId.length === 0) return null;
    return Buffer.from(this.routingId);
  }

  // ---- endpoints ----------------------------------------------------------

  async bind(endpoint: string): Promise<void> {
    this.checkOpen();
    this.lastEndpoint = this.endpoints.bind(endpoint, resolveSecurity(this));
  }

  async unbind(endpoint: string): Promise<void> {
    this.endpoints.unbind(endpoint);
  }

  connect(endpoint: string): void {
    this.checkOpen();
    this.endpoints.connect(endpoint, () => resolveSecurity(this));
  }

  disconnect(endpoint: string): void {
    this.endpoints.disconnect(endpoint);
  }

  private adopt(s: BunSocket<any>, security: Security, endpoint: string): Connection {
    s.setNoDelay?.(true);
    const c = new Connection(this, s, security);
    c.endpoint = endpoint;
    s.data = c;
    this.conns.add(c);
    return c;
  }

  // ---- ConnectionOwner ----------------------------------------------------

  onPeerReady(c: Connection): void {
    this.endpoints.ready(c);
    this.peers.push(c);
    this.peerAdded(c);
    this.wakeSenders();
    if (this.events.has("handshake")) this.events.emit("handshake", { endpoint: c.endpoint, peer: c.peer!, ...routing(c) });
  }

  onPeerMessage(c: Connection, parts: Buffer[]): void {
    this.handleMessage(c, parts);
  }

  onPeerSubscription(c: Connection, subscribe: boolean, topic: Buffer): void {
    this.handleSubscription(c, subscribe, topic);
  }

  onPeerDrain(c: Connection): void {
    this.peerDrained(c);
    this.wakeSenders();
  }

  onPeerClosed(c: Connection, err?: ZmtpError): void {
    this.conns.delete(c);
    this.inbox.forget(c);
    const i = this.peers.indexOf(c);
    if (i >= 0) {
      this.peers.splice(i, 1);
      this.peerRemoved(c);
      this.events.emit("disconnect", { endpoint: c.endpoint, peer: c.peer!, ...routing(c), ...(err ? { error: err } : {}) });
    } else if (err) this.events.emit("handshake:error", { endpoint: c.endpoint, address: c.address, port: c.port, error: err });
    this.endpoints.ended(c);
  }

  // ---- hooks for socket types ---------------------------------------------

  protected peerAdded(_c: Connection): void {}
  protected peerRemoved(_c: Connection): void {}
  /** A peer's send queue fell below its high-water marks. */
  protected peerDrained(_c: Connection): void {}
  protected handleMessage(c: Connection, parts: Buffer[]): void {
    this.deliver(c, parts);
  }
  protected handleSubscription(_c: Connection, _subscribe: boolean, _topic: Buffer): void {}
  /** Turn a queued message into what receive() returns (REP/REQ strip envelopes here). */
  protected unwrap(item: Incoming): Buffer[] {
    return item.msg;
  }

  // ---- receiving ----------------------------------------------------------

  /** Queue an incoming message for receive(); pauses the peer past a high-water mark. */
  protected deliver(from: Connection | null, msg: Buffer[]): void {
    if (this.closed) return;
    const w = this.inbox.length === 0 ? this.recvWaiters.shift() : undefined;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(w.withPeer ? this.output({ msg, from }, true) : this.unwrap({ msg, from }));
      return;
    }
    this.inbox.push(from, msg);
    if (this.readableWaiters.length > 0) for (const r of this.readableWaiters.splice(0)) r();
  }

  /** Take a message if one is queued, without waiting. */
  tryReceive(): Buffer[] | null {
    const item = this.inbox.shift();
    return item ? this.unwrap(item) : null;
  }

  private output(item: Incoming, withPeer: boolean | undefined): Buffer[] | Received {
    const message = this.unwrap(item);
    return withPeer ? { message, peer: item.from?.peer ?? null } : message;
  }

  /** Resolves when a message is queued or the socket is closed. */
  readable(): Promise<void> {
    if (this.inbox.length > 0 || this.closed) return Promise.resolve();
    return new Promise((r) => this.readableWaiters.push(r));
  }

  receive(): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new ZmtpError("ETERM", "socket closed"));
    const m = this.tryReceive();
    if (m) return Promise.resolve(m);
    return this.wait(false) as Promise<Buffer[]>;
  }

  /** receive(), plus the PeerInfo (user id, credentials, metadata) of the sending connection. */
  receiveWithPeer(): Promise<Received> {
    if (this.closed) return Promise.reject(new ZmtpError("ETERM", "socket closed"));
    const item = this.inbox.shift();
    if (item) return Promise.resolve(this.output(item, true) as Received);
    return this.wait(true) as Promise<Received>;
  }

  /**
   * What this socket holds in memory: messages and bytes queued for its
   * peers (summed, and the most held for one peer) and for receive().
   */
  queueSizes(): { send: { messages: number; bytes: number; maxPeerBytes: number }; receive: { messages: number; bytes: number } } {
    let messages = 0;
    let bytes = 0;
    let maxPeerBytes = 0;
    for (const c of this.conns) {
      messages += c.queued;
      bytes += c.queuedBytes;
      if (c.queuedBytes > maxPeerBytes) maxPeerBytes = c.queuedBytes;
    }
    return { send: { messages, bytes, maxPeerBytes }, receive: { messages: this.inbox.length, bytes: this.inbox.bytes } };
  }

  /** PeerInfo of every peer whose handshake is complete. */
  connectedPeers(): PeerInfo[] {
    return this.peers.map((c) => c.peer!);
  }

  private wait(withPeer: boolean): Promise<Buffer[] | Received> {
    return new Promise((resolve, reject) => {
      const w: Waiter<Buffer[] | Received> = { resolve, reject, timer: null, withPeer };
      if (this.receiveTimeout >= 0) {
        w.timer = setTimeout(() => {
          this.removeWaiter(this.recvWaiters, w);
          reject(new ZmtpError("EAGAIN", `no message within ${this.receiveTimeout} ms`));
        }, this.receiveTimeout);
      }
      this.recvWaiters.push(w);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    while (!this.closed) {
      try {
        yield await this.receive();
      } catch (e) {
        if (e instanceof ZmtpError && e.code === "EAGAIN") continue;
        if (e instanceof ZmtpError && e.code === "ETERM") return;
        throw e;
      }
    }
  }

  // ---- sending ------------------------------------------------------------

  abstract send(frames: Frame | Frame[]): Promise<void>;

  /**
   * Send a message whose frames are already Buffers, if that needs no
   * waiting: true when handled exactly as send() would (queued, or dropped by
   * the socket's rules), false when send() would have to wait. Throws the
   * ZmtpError send() would reject with. proxy() uses it to skip a promise
   * per message.
   */
  trySend(_parts: Buffer[]): boolean {
    return false;
  }

  /**
   * send() for socket types that never wait (PUB, XSUB, ROUTER): their
   * trySend() always handles the message, so this only turns its outcome
   * into a promise.
   */
  protected sendWithoutWaiting(frames: Frame | Frame[]): Promise<void> {
    try {
      this.trySend(this.parts(frames));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  protected parts(frames: Frame | Frame[]): Buffer[] {
    this.checkOpen();
    return toParts(frames);
  }

  /** Next ready peer with room in its queue, round-robin; null if none. */
  protected pickOut(): Connection | null {
    const n = this.peers.length;
    for (let k = 0; k < n; k++) {
      const c = this.peers[(this.rr + k) % n]!;
      if (!c.full) {
        this.rr = (this.rr + k + 1) % n;
        return c;
      }
    }
    return null;
  }

  /** Round-robin send to a peer with room, if one is free and nobody waits before us. */
  protected sendRoundRobin(parts: Buffer[]): Connection | null {
    this.checkOpen();
    if (this.sendWaiters.length > 0) return null;
    const c = this.pickOut();
    if (c) c.send(parts);
    return c;
  }

  /** Round-robin send that waits (up to sendTimeout) for a peer with room. */
  protected sendBlocking(parts: Buffer[], onSent?: (c: Connection) => void): Promise<void> {
    const c = this.sendRoundRobin(parts);
    if (c) {
      onSent?.(c);
      return Promise.resolve();
    }
    if (this.sendTimeout === 0) return Promise.reject(new ZmtpError("EAGAIN", "no peer ready to send to"));
    return new Promise((resolve, reject) => {
      const w: SendWaiter = { parts, onSent, resolve, reject, timer: null };
      if (this.sendTimeout > 0) {
        w.timer = setTimeout(() => {
          this.removeWaiter(this.sendWaiters, w);
          reject(new ZmtpError("EAGAIN", `could not send within ${this.sendTimeout} ms`));
        }, this.sendTimeout);
      }
      this.sendWaiters.push(w);
    });
  }

  private wakeSenders(): void {
    while (this.sendWaiters.length > 0) {
      const c = this.pickOut();
      if (!c) return;
      const w = this.sendWaiters.shift()!;
      if (w.timer) clearTimeout(w.timer);
      c.send(w.parts);
      w.onSent?.(c);
      w.resolve();
    }
  }

  private removeWaiter<T>(q: Queue<T>, w: T): void {
    const rest = q.clear();
    for (const x of rest) if (x !== w) q.push(x);
  }

  protected checkOpen(): void {
    if (this.closed) throw new ZmtpError("ETERM", "socket closed");
  }

  // ---- closing ------------------------------------------------------------

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const term = () => new ZmtpError("ETERM", "socket closed");
    for (const w of this.recvWaiters.clear()) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(term());
    }
    for (const w of this.sendWaiters.clear()) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(term());
    }
    for (const r of this.readableWaiters.splice(0)) r();
    this.inbox.clear();
    this.endpoints.stop();
    const conns = [...this.conns];
    if (this.linger > 0 && conns.some((c) => !c.flushed)) {
      const deadline = Date.now() + this.linger;
      const tick = () => {
        const pending = conns.filter((c) => c.state !== "closed" && !c.flushed);
        if (pending.length === 0 || Date.now() >= deadline) for (const c of conns) c.destroy();
        else setTimeout(tick, 10);
      };
      tick();
    } else for (const c of conns) c.destroy();
  }
}

/** The routing id a ROUTER gave the connection, for its events. */
function routing(c: Connection): { routingId?: Buffer } {
  return c.routingId ? { routingId: c.routingId } : {};
}
