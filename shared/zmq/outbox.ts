/**
 * A connection's outgoing queue. Frames are batched into one write per
 * event-loop turn (one shared setImmediate flushes every outbox with
 * something queued); whatever Bun's `write` does not accept is kept and
 * written on `drain`. Under CURVE, frames are sealed here as MESSAGEs while
 * the batch is built, so short nonces follow wire order.
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

export class Outbox {
  /** Messages queued but not yet handed to the kernel. */
  queued = 0;
  /** Set once a CURVE session is established: every later frame is sealed. */
  codec: FrameCodec | null = null;
  closed = false;
  private items: Buffer[] = [];
  private flags: number[] = [];
  private itemsHead = 0;
  private unsent: Buffer | null = null;
  private flushScheduled = false;

  /** `limits` is the owning socket, read live (its sendHighWaterMark may change). */
  constructor(
    private readonly limits: { readonly sendHighWaterMark: number },
    private readonly sock: BunSocket<any>,
    readonly events: OutboxEvents,
  ) {}

  get full(): boolean {
    return this.queued >= this.limits.sendHighWaterMark;
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
      this.items.push(parts[i]!);
      this.flags.push(i < last ? FLAG_MORE : 0);
    }
    this.queued++;
    this.scheduleFlush();
  }

  /** Queue bytes already encoded (greeting, handshake commands). */
  raw(b: Buffer): void {
    if (this.closed) return;
    this.items.push(b);
    this.flags.push(RAW);
    this.scheduleFlush();
  }

  /** A command frame after the handshake: as is, or (CURVE) sealed with the COMMAND flag inside. */
  command(frame: Buffer): void {
    if (this.codec === null) return this.raw(frame);
    if (this.closed) return;
    this.items.push(frame.subarray(frame[0]! & FLAG_LONG ? 9 : 2));
    this.flags.push(FLAG_COMMAND);
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

  flush(): void {
    const wasFull = this.full;
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
      let off = 0;
      for (let i = this.itemsHead; i < end; i++) {
        const b = this.items[i]!;
        const f = this.flags[i]!;
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
    if (wasFull && !this.full) this.events.drained();
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
    const b = this.unsent;
    this.unsent = null;
    this.writeOut(b);
    if (this.unsent === null) this.flush();
  }

  /** Drop everything queued. */
  clear(): void {
    this.unsent = null;
    this.items = [];
    this.flags = [];
    this.itemsHead = 0;
  }
}
