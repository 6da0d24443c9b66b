/**
 * A connection's outgoing queue. Frames are batched into one write per
 * event-loop turn (one shared setImmediate flushes every outbox with
 * something queued), or as soon as a full batch (256 KiB) is queued, so
 * that a turn which runs long (a busy proxy) still writes as it goes and
 * holds at most a batch per connection; whatever Bun's `write` does not
 * accept is kept and written on `drain`. The queue counts messages and
 * bytes: the connection is `full` at either high-water mark. Under CURVE,
 * frames are sealed here as MESSAGEs while the batch is built, so short
 * nonces follow wire order.
 * @module
 */
import type { Socket as BunSocket } from "bun";
import { ZmtpError } from "./errors.ts";
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, headerSize, writeHeader } from "./frame.ts";
import type { FrameCodec } from "./mechanism.ts";

const BATCH_BYTES = 256 * 1024;
const RAW = -1; // flags marker: item is an already-encoded buffer

/** What the outbox tells its connection. */
export interface OutboxEvents {
  /** The queue fell below the high-water mark. */
  drained(): void;
  /** Writing failed or threw: close the connection. */
  failed(e: ZmtpError): void;
}

/** Outboxes with frames to write; one setImmediate per turn serves them all. */
let toFlush: Outbox[] = [];
let flushPending = false;
function flushAll(): void {
  flushPending = false;
  const list = toFlush;
  toFlush = [];
  for (const o of list) {
    try {
      o.flushNow();
    } catch (e) {
      o.events.failed(new ZmtpError("EPROTO", "internal error while flushing", e)); // this connection only
    }
  }
}

/** The socket settings an outbox reads (live: they may change). */
export interface OutboxLimits {
  readonly sendHighWaterMark: number;
  readonly sendHighWaterMarkBytes: number;
}

export class Outbox {
  /** Messages queued but not yet handed to the kernel. */
  queued = 0;
  /** Bytes of frames not yet put in a write batch. */
  private pendingBytes = 0;
  /** Set once a CURVE session is established: every later frame is sealed. */
  codec: FrameCodec | null = null;
  closed = false;
  private items: Buffer[] = [];
  private flags: number[] = [];
  private itemsHead = 0;
  private unsent: Buffer | null = null;
  private flushScheduled = false;
  private flushing = false;

  /** `limits` is the owning socket, read live (its high-water marks may change). */
  constructor(
    private readonly limits: OutboxLimits,
    private readonly sock: BunSocket<any>,
    readonly events: OutboxEvents,
  ) {}

  get full(): boolean {
    return this.queued >= this.limits.sendHighWaterMark || this.queuedBytes >= this.limits.sendHighWaterMarkBytes;
  }

  /** Bytes held for this connection: frames not yet written, and the rest of a batch the kernel did not take. */
  get queuedBytes(): number {
    return this.pendingBytes + (this.unsent?.length ?? 0);
  }

  /** True when nothing is waiting to be written. */
  get flushed(): boolean {
    return this.unsent === null && this.itemsHead === this.items.length;
  }

  /** Queue a multipart message. */
  send(parts: Buffer[]): void {
    if (this.closed) return;
    const last = parts.length - 1;
    for (let i = 0; i <= last; i++) {
      const p = parts[i]!;
      this.items.push(p);
      this.flags.push(i < last ? FLAG_MORE : 0);
      this.pendingBytes += p.length;
    }
    this.queued++;
    // a full batch goes out now: a long turn must not hold every connection's output until it ends
    if (this.pendingBytes >= BATCH_BYTES && this.unsent === null && !this.flushing) this.flushEarly();
    else this.scheduleFlush();
  }

  /** Queue bytes already encoded (greeting, handshake commands). */
  raw(b: Buffer): void {
    if (this.closed) return;
    this.items.push(b);
    this.flags.push(RAW);
    this.pendingBytes += b.length;
    this.scheduleFlush();
  }

  /** A command frame after the handshake: as is, or (CURVE) sealed with the COMMAND flag inside. */
  command(frame: Buffer): void {
    if (this.codec === null) return this.raw(frame);
    if (this.closed) return;
    const body = frame.subarray(frame[0]! & FLAG_LONG ? 9 : 2);
    this.items.push(body);
    this.flags.push(FLAG_COMMAND);
    this.pendingBytes += body.length;
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

  private flushEarly(): void {
    try {
      this.flush(false);
    } catch (e) {
      this.clear();
      this.events.failed(new ZmtpError("EPROTO", "internal error while flushing", e));
    }
  }

  /** Called by the shared end-of-turn flush. */
  flushNow(): void {
    this.flushScheduled = false;
    this.flush();
  }

  /** Write what is queued until the kernel stops taking it; `notify`: report a fall below the high-water mark. */
  flush(notify = true): void {
    const wasFull = this.full;
    this.flushing = true;
    try {
      this.writeBatches();
    } finally {
      this.flushing = false;
    }
    if (notify && wasFull && !this.full) this.events.drained();
  }

  private writeBatches(): void {
    while (!this.closed && this.unsent === null && this.itemsHead < this.items.length) {
      const codec = this.codec;
      let size = 0;
      let end = this.itemsHead;
      while (end < this.items.length && size < BATCH_BYTES) {
        let len = this.items[end]!.length;
        if (this.flags[end] === RAW) size += len;
        else {
          if (codec !== null) len = codec.sealedSize(len);
          size += headerSize(len) + len;
        }
        end++;
      }
      const out = Buffer.allocUnsafe(size);
      let taken = 0;
      let off = 0;
      for (let i = this.itemsHead; i < end; i++) {
        const b = this.items[i]!;
        const f = this.flags[i]!;
        taken += b.length;
        if (f !== RAW) {
          if (f === 0) this.queued--;
          if (codec !== null) {
            // one single-part frame per MESSAGE; MORE/COMMAND travel inside it
            off = codec.sealInto(out, writeHeader(out, off, 0, codec.sealedSize(b.length)), f, b);
            continue;
          }
          off = writeHeader(out, off, f, b.length);
        }
        out.set(b, off);
        off += b.length;
      }
      this.itemsHead = end;
      this.pendingBytes -= taken;
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
  }

  private writeOut(out: Buffer): void {
    let n: number;
    try {
      n = this.sock.write(out);
    } catch (e) {
      // socket already gone: drop everything; the close handler (or this) ends it
      this.clear();
      queueMicrotask(() => this.events.failed(new ZmtpError("EPROTO", "write failed", e)));
      return;
    }
    if (n < out.length) this.unsent = n > 0 ? out.subarray(n) : out;
  }

  /** Bun `drain` handler. */
  onDrain(): void {
    if (this.unsent === null || this.closed) return;
    const wasFull = this.full;
    const b = this.unsent;
    this.unsent = null;
    this.writeOut(b);
    if (this.unsent === null) this.flush(false);
    if (wasFull && !this.full) this.events.drained();
  }

  /** Drop everything queued. */
  clear(): void {
    this.unsent = null;
    this.pendingBytes = 0;
    this.queued = 0;
    this.items = [];
    this.flags = [];
    this.itemsHead = 0;
  }
}
