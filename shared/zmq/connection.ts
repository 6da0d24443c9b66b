/**
 * One ZMTP peer connection over a Bun TCP/unix socket.
 *
 * Lifecycle (RFC 23/37): greeting (parsed incrementally) → NULL handshake
 * (READY exchange, RFC 23 §"The NULL Security Mechanism") → socket-type
 * compatibility check (ERROR + close when incompatible) → traffic.
 * Outgoing frames are batched into one write per event-loop turn (one shared
 * setImmediate flushes every connection with something queued); whatever Bun's
 * `write` does not accept is kept and written on `drain`.
 * Any protocol violation closes this connection only; nothing is thrown out.
 * @module
 */
import type { Socket as BunSocket } from "bun";
import { parseCommand, pongFrame, readyFrame, errorFrame, subscribeFrame, cancelFrame, type Command } from "./command.ts";
import { isCompatible, type SocketType } from "./compat.ts";
import { ZmtpError } from "./errors.ts";
import { FrameDecoder, FLAG_MORE, headerSize, writeHeader } from "./frame.ts";
import { checkGreetingPrefix, encodeGreeting, GREETING_SIZE, parseGreeting } from "./greeting.ts";

/** What a connection needs from the socket that owns it. */
export interface ConnectionOwner {
  readonly type: SocketType;
  readonly ownRoutingId: Buffer | null;
  readonly maxMessageSize: number;
  readonly sendHighWaterMark: number;
  onPeerReady(c: Connection): void;
  onPeerMessage(c: Connection, parts: Buffer[]): void;
  onPeerSubscription(c: Connection, subscribe: boolean, topic: Buffer): void;
  onPeerDrain(c: Connection): void;
  onPeerClosed(c: Connection, err?: ZmtpError): void;
}

const HANDSHAKE_TIMEOUT_MS = 30_000;
const BATCH_BYTES = 256 * 1024;
const RAW = -1; // flags marker: item is an already-encoded buffer

/** Connections with frames to write; one setImmediate per turn serves them all. */
let toFlush: Connection[] = [];
let flushPending = false;
function flushAll(): void {
  flushPending = false;
  const list = toFlush;
  toFlush = [];
  for (const c of list) {
    try {
      c.flushNow();
    } catch (e) {
      c.destroy(new ZmtpError("EPROTO", "internal error while flushing", e)); // this connection only
    }
  }
}

export class Connection {
  state: "greeting" | "handshake" | "ready" | "closed" = "greeting";
  /** Peer's socket type and identity from READY. */
  peerType = "";
  peerIdentity: Buffer | null = null;
  /** Assigned by ROUTER. */
  routingId: Buffer | null = null;
  /** Peer's minor ZMTP version (0 = speak 3.0 to it). */
  peerMinor = 0;
  /** Messages queued but not yet handed to the kernel. */
  queued = 0;
  paused = false;

  private greet: Buffer | null = Buffer.alloc(GREETING_SIZE);
  private greetLen = 0;
  private readonly decoder: FrameDecoder;
  private items: Buffer[] = [];
  private flags: number[] = [];
  private itemsHead = 0;
  private unsent: Buffer | null = null;
  private flushScheduled = false;
  private timer: ReturnType<typeof setTimeout> | null;
  private destroying = false;

  constructor(
    readonly owner: ConnectionOwner,
    readonly sock: BunSocket<any>,
  ) {
    this.decoder = new FrameDecoder(owner.maxMessageSize, {
      onMessage: (parts) => this.onMessage(parts),
      onCommand: (body) => this.onCommand(parseCommand(body)),
    });
    this.timer = setTimeout(() => this.destroy(new ZmtpError("EPROTO", "handshake timeout")), HANDSHAKE_TIMEOUT_MS);
    this.timer.unref?.();
    this.writeRaw(encodeGreeting());
  }

  get full(): boolean {
    return this.queued >= this.owner.sendHighWaterMark;
  }

  /** True when nothing is waiting to be written. */
  get flushed(): boolean {
    return this.unsent === null && this.itemsHead === this.items.length;
  }

  /** Bun `data` handler. */
  onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    try {
      let rest = chunk;
      if (this.greet !== null) {
        const take = Math.min(GREETING_SIZE - this.greetLen, chunk.length);
        chunk.copy(this.greet, this.greetLen, 0, take);
        this.greetLen += take;
        checkGreetingPrefix(this.greet, this.greetLen);
        if (this.greetLen < GREETING_SIZE) return;
        const g = parseGreeting(this.greet);
        this.greet = null;
        this.peerMinor = g.major > 3 ? 1 : g.minor;
        this.state = "handshake";
        const props: Record<string, Uint8Array | string> = { "Socket-Type": this.owner.type };
        if (this.owner.ownRoutingId) props.Identity = this.owner.ownRoutingId;
        this.writeRaw(readyFrame(props));
        rest = chunk.subarray(take);
      }
      if (rest.length > 0) this.decoder.push(rest);
    } catch (e) {
      this.destroy(e instanceof ZmtpError ? e : new ZmtpError("EPROTO", "bad input", e));
    }
  }

  private onCommand(cmd: Command): void {
    if (this.state === "handshake") {
      if (cmd.name === "ERROR") throw new ZmtpError("ECOMPAT", `peer refused handshake: ${cmd.reason}`);
      if (cmd.name !== "READY") throw new ZmtpError("EPROTO", `expected READY, got ${cmd.name}`);
      this.peerType = cmd.props.get("socket-type")?.toString("latin1") ?? "";
      const id = cmd.props.get("identity");
      this.peerIdentity = id && id.length > 0 ? Buffer.from(id) : null;
      if (!isCompatible(this.owner.type, this.peerType)) {
        this.writeRaw(errorFrame("Invalid socket type"));
        throw new ZmtpError("ECOMPAT", `incompatible peer socket type ${JSON.stringify(this.peerType)}`);
      }
      this.state = "ready";
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.owner.onPeerReady(this);
      return;
    }
    switch (cmd.name) {
      case "PING":
        this.writeRaw(pongFrame(cmd.context));
        return;
      case "SUBSCRIBE":
      case "CANCEL":
        this.owner.onPeerSubscription(this, cmd.name === "SUBSCRIBE", Buffer.from(cmd.topic));
        return;
      case "ERROR":
        throw new ZmtpError("EPROTO", `peer error: ${cmd.reason}`);
      case "READY":
        throw new ZmtpError("EPROTO", "duplicate READY");
      default:
        return; // PONG and unknown commands are ignored
    }
  }

  private onMessage(parts: Buffer[]): void {
    if (this.state !== "ready") throw new ZmtpError("EPROTO", "message before handshake completed");
    this.owner.onPeerMessage(this, parts);
  }

  /** Queue a multipart message. Caller checks `full` first if it cares. */
  send(parts: Buffer[]): void {
    if (this.state === "closed") return;
    const last = parts.length - 1;
    for (let i = 0; i <= last; i++) {
      this.items.push(parts[i]!);
      this.flags.push(i < last ? FLAG_MORE : 0);
    }
    this.queued++;
    this.scheduleFlush();
  }

  /** Send a subscription in the form the peer understands (RFC 37 command or 3.0 data frame). */
  sendSubscription(subscribe: boolean, topic: Buffer): void {
    if (this.peerMinor >= 1) this.writeRaw(subscribe ? subscribeFrame(topic) : cancelFrame(topic));
    else {
      const b = Buffer.allocUnsafe(topic.length + 1);
      b[0] = subscribe ? 1 : 0;
      topic.copy(b, 1);
      this.send([b]);
    }
  }

  writeRaw(b: Buffer): void {
    if (this.state === "closed") return;
    this.items.push(b);
    this.flags.push(RAW);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.unsent !== null) return;
    this.flushScheduled = true;
    toFlush.push(this);
    if (!flushPending) {
      flushPending = true;
      // a macrotask, not a microtask: a caller awaiting each send() in a loop
      // would otherwise get one write (one syscall) per message
      setImmediate(flushAll);
    }
  }

  /** Called by the shared end-of-turn flush. */
  flushNow(): void {
    this.flushScheduled = false;
    this.flush();
  }

  private flush(): void {
    const wasFull = this.full;
    while (this.state !== "closed" && this.unsent === null && this.itemsHead < this.items.length) {
      let size = 0;
      let end = this.itemsHead;
      while (end < this.items.length && size < BATCH_BYTES) {
        const len = this.items[end]!.length;
        size += this.flags[end] === RAW ? len : headerSize(len) + len;
        end++;
      }
      const out = Buffer.allocUnsafe(size);
      let off = 0;
      for (let i = this.itemsHead; i < end; i++) {
        const b = this.items[i]!;
        const f = this.flags[i]!;
        if (f !== RAW) {
          off = writeHeader(out, off, f, b.length);
          if (f === 0) this.queued--;
        }
        out.set(b, off);
        off += b.length;
      }
      this.itemsHead = end;
      if (end === this.items.length) {
        this.items = [];
        this.flags = [];
        this.itemsHead = 0;
      } else if (this.itemsHead > 4096) {
        this.items = this.items.slice(this.itemsHead);
        this.flags = this.flags.slice(this.itemsHead);
        this.itemsHead = 0;
      }
      this.writeOut(out);
    }
    if (wasFull && !this.full && this.state === "ready") this.owner.onPeerDrain(this);
  }

  private writeOut(out: Buffer): void {
    let n: number;
    try {
      n = this.sock.write(out);
    } catch (e) {
      // socket already gone: drop everything; the close handler (or this) ends it
      this.unsent = null;
      this.items = [];
      this.flags = [];
      this.itemsHead = 0;
      queueMicrotask(() => this.destroy(new ZmtpError("EPROTO", "write failed", e)));
      return;
    }
    if (n < out.length) this.unsent = n > 0 ? out.subarray(n) : out;
  }

  /** Bun `drain` handler. */
  onDrain(): void {
    if (this.unsent === null || this.state === "closed") return;
    const b = this.unsent;
    this.unsent = null;
    this.writeOut(b);
    if (this.unsent === null) this.flush();
  }

  pause(): void {
    if (!this.paused && this.state !== "closed") {
      this.paused = true;
      this.sock.pause();
    }
  }

  resume(): void {
    if (this.paused && this.state !== "closed") {
      this.paused = false;
      this.sock.resume();
    }
  }

  /** Close the connection (idempotent); the owner hears about it once. */
  destroy(err?: ZmtpError): void {
    if (this.state === "closed" || this.destroying) return;
    this.destroying = true;
    if (err && this.state !== "ready") this.flush(); // let a pending ERROR command out
    this.state = "closed";
    this.decoder.stop();
    if (this.timer) clearTimeout(this.timer);
    this.items = [];
    this.flags = [];
    this.unsent = null;
    try {
      this.sock.end();
    } catch {
      // already closed
    }
    this.owner.onPeerClosed(this, err);
  }
}
