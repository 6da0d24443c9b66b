/**
 * ZMTP frames (RFC 23 §"Framing"): a resumable decoder and a header encoder.
 *
 * Frame = flags byte, size (1 byte, or 8 bytes big-endian when LONG), body.
 * Flags: bit 0 MORE, bit 1 LONG, bit 2 COMMAND; bits 3-7 reserved (must be 0).
 * The decoder accepts arbitrary chunking (down to single bytes), assembles
 * multipart messages and checks every length against `maxMessageSize` before
 * allocating anything. Complete bodies inside one chunk are not copied.
 * @module
 */
import { ZmtpError } from "./errors.ts";

export const FLAG_MORE = 1;
export const FLAG_LONG = 2;
export const FLAG_COMMAND = 4;
/** Cap on parts in one multipart message (each part costs an object). */
export const MAX_PARTS = 65536;

/** Receives what the decoder assembles. */
export interface FrameHandler {
  onMessage(parts: Buffer[]): void;
  onCommand(body: Buffer): void;
}

/** Resumable ZMTP frame decoder. `push` throws ZmtpError on bad input. */
export class FrameDecoder {
  private readonly hdr = Buffer.alloc(9);
  private hdrLen = 0;
  private hdrNeed = 0;
  private flags = 0;
  private body: Buffer | null = null;
  private bodyPos = 0;
  private parts: Buffer[] = [];
  private msgBytes = 0;
  private stopped = false;

  constructor(
    /** Mutable: a connection tightens it while a PLAIN/CURVE handshake is unauthenticated. */
    public maxMessageSize: number,
    private readonly handler: FrameHandler,
  ) {}

  /** Stop decoding: later input (even the rest of the current chunk) is ignored. */
  stop(): void {
    this.stopped = true;
  }

  /** True when no partial frame or message is buffered. */
  get idle(): boolean {
    return this.hdrLen === 0 && this.body === null && this.parts.length === 0;
  }

  push(c: Buffer): void {
    const n = c.length;
    let i = 0;
    while (i < n && !this.stopped) {
      if (this.body !== null) {
        const take = Math.min(n - i, this.body.length - this.bodyPos);
        c.copy(this.body, this.bodyPos, i, i + take);
        this.bodyPos += take;
        i += take;
        if (this.bodyPos === this.body.length) {
          const b = this.body;
          this.body = null;
          this.emit(this.flags, b);
        }
        continue;
      }
      let len: number;
      if (this.hdrLen === 0 && n - i >= 2 && (c[i]! & FLAG_LONG) === 0) {
        // fast path: short header entirely in this chunk
        this.flags = this.checkFlags(c[i]!);
        len = c[i + 1]!;
        i += 2;
      } else if (this.hdrLen === 0 && n - i >= 9) {
        this.flags = this.checkFlags(c[i]!);
        len = this.longLen(c, i + 1);
        i += 9;
      } else {
        if (this.hdrLen === 0) {
          this.flags = this.checkFlags(c[i]!);
          this.hdrNeed = this.flags & FLAG_LONG ? 9 : 2;
        }
        const take = Math.min(n - i, this.hdrNeed - this.hdrLen);
        c.copy(this.hdr, this.hdrLen, i, i + take);
        this.hdrLen += take;
        i += take;
        if (this.hdrLen < this.hdrNeed) continue;
        this.hdrLen = 0;
        len = this.hdrNeed === 2 ? this.hdr[1]! : this.longLen(this.hdr, 1);
      }
      this.checkLen(len);
      if (len === 0) {
        this.emit(this.flags, EMPTY);
      } else if (n - i >= len) {
        const b = c.subarray(i, i + len);
        i += len;
        this.emit(this.flags, b);
      } else {
        this.body = Buffer.allocUnsafe(len);
        this.bodyPos = 0;
      }
    }
  }

  private checkFlags(f: number): number {
    if (f & 0xf8) throw new ZmtpError("EPROTO", `reserved frame flag bits set (0x${f.toString(16)})`);
    if (f & FLAG_COMMAND && f & FLAG_MORE) throw new ZmtpError("EPROTO", "command frame with MORE flag");
    if (f & FLAG_COMMAND && this.parts.length > 0) {
      throw new ZmtpError("EPROTO", "command frame inside a multipart message");
    }
    return f;
  }

  private longLen(b: Buffer, off: number): number {
    const hi = b.readUInt32BE(off);
    const lo = b.readUInt32BE(off + 4);
    if (hi >= 0x200000) throw new ZmtpError("EMSGSIZE", "frame length exceeds limit");
    return hi * 0x100000000 + lo;
  }

  private checkLen(len: number): void {
    const total = this.flags & FLAG_COMMAND ? len : this.msgBytes + len;
    if (total > this.maxMessageSize) {
      throw new ZmtpError("EMSGSIZE", `message of ${total}+ bytes exceeds maxMessageSize ${this.maxMessageSize}`);
    }
  }

  private emit(flags: number, b: Buffer): void {
    if (flags & FLAG_COMMAND) {
      this.handler.onCommand(b);
      return;
    }
    this.parts.push(b);
    this.msgBytes += b.length;
    if (flags & FLAG_MORE) {
      if (this.parts.length >= MAX_PARTS) throw new ZmtpError("EMSGSIZE", "too many parts in one message");
      return;
    }
    const parts = this.parts;
    this.parts = [];
    this.msgBytes = 0;
    this.handler.onMessage(parts);
  }
}

const EMPTY = Buffer.alloc(0);

/** Size of the header for a body of `len` bytes. */
export function headerSize(len: number): number {
  return len > 255 ? 9 : 2;
}

/** Write a frame header at `off` in `out`; returns the offset after it. */
export function writeHeader(out: Buffer, off: number, flags: number, len: number): number {
  if (len > 255) {
    out[off] = flags | FLAG_LONG;
    out.writeUInt32BE(Math.floor(len / 0x100000000), off + 1);
    out.writeUInt32BE(len >>> 0, off + 5);
    return off + 9;
  }
  out[off] = flags;
  out[off + 1] = len;
  return off + 2;
}

/** Encode one frame (header + body) into a new Buffer. */
export function encodeFrame(body: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(headerSize(body.length) + body.length);
  const off = writeHeader(out, 0, flags, body.length);
  out.set(body, off);
  return out;
}
