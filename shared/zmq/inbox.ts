/**
 * A socket's receive queue: messages from peers waiting for receive(),
 * bounded by the receive high-water marks in messages and in bytes. Past
 * either, the connection that delivered is paused (reading stops, so TCP
 * pushes back on the peer) until the queue is below both marks again.
 * @module
 */
import type { Connection } from "./connection.ts";
import { sizeOf } from "./options.ts";
import { Queue } from "./queue.ts";

/** A received message and the connection it came from. */
export interface Incoming {
  msg: Buffer[];
  from: Connection | null;
}

interface Item extends Incoming {
  size: number;
}

/** The socket settings the inbox reads (live: they may change). */
export interface InboxLimits {
  readonly receiveHighWaterMark: number;
  readonly receiveHighWaterMarkBytes: number;
}

export class Inbox {
  private readonly q = new Queue<Item>();
  private queuedBytes = 0;
  private readonly paused = new Set<Connection>();

  constructor(private readonly limits: InboxLimits) {}

  get length(): number {
    return this.q.length;
  }

  /** Bytes of the queued messages' parts. */
  get bytes(): number {
    return this.queuedBytes;
  }

  push(from: Connection | null, msg: Buffer[]): void {
    const size = sizeOf(msg);
    this.q.push({ msg, from, size });
    this.queuedBytes += size;
    if (from && this.above()) {
      from.pause();
      this.paused.add(from);
    }
  }

  shift(): Incoming | undefined {
    const item = this.q.shift();
    if (!item) return undefined;
    this.queuedBytes -= item.size;
    if (this.paused.size > 0 && !this.above()) {
      for (const c of this.paused) c.resume();
      this.paused.clear();
    }
    return item;
  }

  /** A connection closed: nothing to resume. */
  forget(c: Connection): void {
    this.paused.delete(c);
  }

  clear(): void {
    this.q.clear();
    this.queuedBytes = 0;
    this.paused.clear();
  }

  private above(): boolean {
    return this.q.length >= this.limits.receiveHighWaterMark || this.queuedBytes >= this.limits.receiveHighWaterMarkBytes;
  }
}
