/**
 * Base class of every socket type: bind/connect (with reconnect and
 * backoff), the set of ready peers, the receive queue with its high-water
 * mark, async receive with timeout and iteration, blocking round-robin send,
 * and close/linger. Socket types override the `protected` hooks.
 * @module
 */
import type { SocketListener } from "bun";
import type { SocketType } from "./compat.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { parseEndpoint, type Endpoint } from "./endpoint.ts";
import { dial, listen, socketHandlers } from "./transport.ts";
import { ZmtpError } from "./errors.ts";
import { Queue } from "./queue.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, OPTION_KEYS, toParts, validateOptions, type Frame, type SocketOptions } from "./options.ts";

interface Dial {
  ep: Endpoint;
  conn: Connection | null;
  timer: ReturnType<typeof setTimeout> | null;
  interval: number;
  stopped: boolean;
}
interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: ZmtpError) => void;
  timer: ReturnType<typeof setTimeout> | null;
}
interface SendWaiter extends Waiter<void> {
  parts: Buffer[];
  onSent?: (c: Connection) => void;
}
/** A received message and the connection it came from. */
export interface Incoming {
  msg: Buffer[];
  from: Connection | null;
}

export abstract class ZSocket implements ConnectionOwner, AsyncIterable<Buffer[]> {
  routingId: string | Buffer | undefined = undefined;
  receiveTimeout = -1;
  sendTimeout = -1;
  sendHighWaterMark = 1000;
  receiveHighWaterMark = 1000;
  linger = 0;
  reconnectInterval = 100;
  reconnectMaxInterval = 0;
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
  lastEndpoint: string | null = null;
  closed = false;

  protected readonly conns = new Set<Connection>();
  protected peers: Connection[] = [];
  private rr = 0;
  private readonly inbox = new Queue<Incoming>();
  private readonly recvWaiters = new Queue<Waiter<Buffer[]>>();
  private readonly sendWaiters = new Queue<SendWaiter>();
  private readonly readableWaiters: (() => void)[] = [];
  private readonly pausedConns = new Set<Connection>();
  private readonly listeners = new Map<string, SocketListener<any>>();
  private readonly dials = new Map<string, Dial>();
  private readonly dialOf = new Map<Connection, Dial>();

  constructor(
    readonly type: SocketType,
    options: SocketOptions = {},
  ) {
    for (const k of OPTION_KEYS) if (options[k] !== undefined) (this as any)[k] = options[k];
    validateOptions(this);
  }

  get ownRoutingId(): Buffer | null {
    if (this.routingId === undefined || this.routingId.length === 0) return null;
    return Buffer.from(this.routingId);
  }

  // ---- endpoints ----------------------------------------------------------

  async bind(endpoint: string): Promise<void> {
    this.checkOpen();
    const ep = parseEndpoint(endpoint, true);
    const [l, last] = listen(ep, endpoint, this.handlers(null));
    this.lastEndpoint = last;
    this.listeners.set(last, l);
    if (last !== endpoint) this.listeners.set(endpoint, l);
  }

  async unbind(endpoint: string): Promise<void> {
    const l = this.listeners.get(endpoint);
    if (!l) throw new ZmtpError("EINVAL", `not bound to ${endpoint}`);
    for (const [k, v] of this.listeners) if (v === l) this.listeners.delete(k);
    l.stop(false);
  }

  connect(endpoint: string): void {
    this.checkOpen();
    const ep = parseEndpoint(endpoint, false);
    if (this.dials.has(endpoint)) return;
    const d: Dial = { ep, conn: null, timer: null, interval: this.reconnectInterval, stopped: false };
    this.dials.set(endpoint, d);
    this.dial(d);
  }

  disconnect(endpoint: string): void {
    const d = this.dials.get(endpoint);
    if (!d) return;
    this.dials.delete(endpoint);
    d.stopped = true;
    if (d.timer) clearTimeout(d.timer);
    d.conn?.destroy();
  }

  private dial(d: Dial): void {
    d.timer = null;
    if (d.stopped || this.closed) return;
    dial(d.ep, this.handlers(d)).catch(() => this.redial(d));
  }

  private redial(d: Dial): void {
    d.conn = null;
    if (d.stopped || this.closed || d.timer) return;
    d.timer = setTimeout(() => this.dial(d), d.interval);
    if (this.reconnectMaxInterval > d.interval) d.interval = Math.min(d.interval * 2, this.reconnectMaxInterval);
  }

  private handlers(d: Dial | null) {
    return socketHandlers((s) => {
      if (this.closed || d?.stopped) return void s.end();
      s.setNoDelay?.(true);
      const c = new Connection(this, s);
      s.data = c;
      this.conns.add(c);
      if (d) {
        d.conn = c;
        this.dialOf.set(c, d);
      }
    });
  }

  // ---- ConnectionOwner ----------------------------------------------------

  onPeerReady(c: Connection): void {
    const d = this.dialOf.get(c);
    if (d) d.interval = this.reconnectInterval;
    this.peers.push(c);
    this.peerAdded(c);
    this.wakeSenders();
  }

  onPeerMessage(c: Connection, parts: Buffer[]): void {
    this.handleMessage(c, parts);
  }

  onPeerSubscription(c: Connection, subscribe: boolean, topic: Buffer): void {
    this.handleSubscription(c, subscribe, topic);
  }

  onPeerDrain(_c: Connection): void {
    this.wakeSenders();
  }

  onPeerClosed(c: Connection, _err?: ZmtpError): void {
    this.conns.delete(c);
    this.pausedConns.delete(c);
    const i = this.peers.indexOf(c);
    if (i >= 0) {
      this.peers.splice(i, 1);
      this.peerRemoved(c);
    }
    const d = this.dialOf.get(c);
    if (d) {
      this.dialOf.delete(c);
      this.redial(d);
    }
  }

  // ---- hooks for socket types ---------------------------------------------

  protected peerAdded(_c: Connection): void {}
  protected peerRemoved(_c: Connection): void {}
  protected handleMessage(c: Connection, parts: Buffer[]): void {
    this.deliver(c, parts);
  }
  protected handleSubscription(_c: Connection, _subscribe: boolean, _topic: Buffer): void {}
  /** Turn a queued message into what receive() returns (REP/REQ strip envelopes here). */
  protected unwrap(item: Incoming): Buffer[] {
    return item.msg;
  }

  // ---- receiving ----------------------------------------------------------

  /** Queue an incoming message for receive(); pauses the peer past the HWM. */
  protected deliver(from: Connection | null, msg: Buffer[]): void {
    if (this.closed) return;
    const w = this.inbox.length === 0 ? this.recvWaiters.shift() : undefined;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(this.unwrap({ msg, from }));
      return;
    }
    this.inbox.push({ msg, from });
    if (from && this.inbox.length >= this.receiveHighWaterMark) {
      from.pause();
      this.pausedConns.add(from);
    }
    if (this.readableWaiters.length > 0) for (const r of this.readableWaiters.splice(0)) r();
  }

  /** Take a message if one is queued, without waiting. */
  tryReceive(): Buffer[] | null {
    const item = this.inbox.shift();
    if (!item) return null;
    if (this.pausedConns.size > 0 && this.inbox.length < this.receiveHighWaterMark) {
      for (const c of this.pausedConns) c.resume();
      this.pausedConns.clear();
    }
    return this.unwrap(item);
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
    return new Promise((resolve, reject) => {
      const w: Waiter<Buffer[]> = { resolve, reject, timer: null };
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
    for (const l of new Set(this.listeners.values())) l.stop(false);
    this.listeners.clear();
    for (const d of this.dials.values()) {
      d.stopped = true;
      if (d.timer) clearTimeout(d.timer);
    }
    this.dials.clear();
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
