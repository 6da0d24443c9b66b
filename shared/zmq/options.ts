/**
 * Socket options and frame normalisation shared by every socket type.
 * @module
 */
import { ZmtpError } from "./errors.ts";
import type { SecurityOptions } from "./security.ts";

/** A message part as accepted by `send`. Strings are encoded as UTF-8. */
export type Frame = Buffer | Uint8Array | string;

/** Every socket's options; the security ones (CURVE, PLAIN, authenticate) are described in security.ts. */
export interface SocketOptions extends SecurityOptions {
  /** Identity announced to peers in READY (used by ROUTER peers). */
  routingId?: string | Buffer;
  /** ms; -1 waits forever (default). */
  receiveTimeout?: number;
  /** ms; -1 waits forever (default). */
  sendTimeout?: number;
  /** Messages queued per peer before send blocks/drops (default 1000). */
  sendHighWaterMark?: number;
  /**
   * Bytes queued per peer before send blocks/drops, whichever of the two
   * marks comes first (default 64 MiB). A message is taken while the queue
   * is below the mark, so a peer holds at most this plus one message plus
   * one write batch (256 KiB).
   */
  sendHighWaterMarkBytes?: number;
  /** Messages queued for receive() before reading from peers pauses (default 1000). */
  receiveHighWaterMark?: number;
  /** Bytes queued for receive() before reading from peers pauses (default 64 MiB). */
  receiveHighWaterMarkBytes?: number;
  /** ms to keep flushing queued messages after close() (default 0). */
  linger?: number;
  /** ms between reconnect attempts (default 100). */
  reconnectInterval?: number;
  /** libzmq semantics: 0 (default) = fixed interval; else the interval doubles up to this. */
  reconnectMaxInterval?: number;
  /** Largest accepted inbound message in bytes (default 64 MiB); always bounded. */
  maxMessageSize?: number;
  /**
   * Extra properties sent in the handshake's metadata (libzmq's
   * ZMQ_METADATA): names start with `X-`. Under CURVE they travel
   * encrypted and the accepting side's `authenticate` hook sees them.
   */
  metadata?: Record<string, string>;
}

export const OPTION_KEYS = [
  "routingId",
  "receiveTimeout",
  "sendTimeout",
  "sendHighWaterMark",
  "sendHighWaterMarkBytes",
  "receiveHighWaterMark",
  "receiveHighWaterMarkBytes",
  "linger",
  "reconnectInterval",
  "reconnectMaxInterval",
  "maxMessageSize",
  "metadata",
] as const;

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
export const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024 * 1024;

/** Convert a user frame to a Buffer without copying binary data. */
export function toBuffer(f: Frame): Buffer {
  if (Buffer.isBuffer(f)) return f;
  if (typeof f === "string") return Buffer.from(f, "utf8");
  if (f instanceof Uint8Array) return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  throw new ZmtpError("EINVAL", "frame must be a Buffer, Uint8Array or string");
}

/** Total bytes of a message's parts. */
export function sizeOf(parts: Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** Normalise `send` input into a non-empty list of Buffers. */
export function toParts(frames: Frame | Frame[]): Buffer[] {
  if (Array.isArray(frames)) {
    if (frames.length === 0) throw new ZmtpError("EINVAL", "cannot send an empty message (no frames)");
    return frames.map(toBuffer);
  }
  return [toBuffer(frames)];
}

/** Reject option values that would make the socket unbounded or nonsensical. */
export function validateOptions(o: Required<Omit<SocketOptions, "routingId" | keyof SecurityOptions>> & { routingId?: unknown }): void {
  if (typeof o.metadata !== "object" || o.metadata === null) throw new ZmtpError("EINVAL", "metadata must be an object of strings");
  for (const [k, v] of Object.entries(o.metadata)) {
    if (!/^X-[A-Za-z0-9\-_.+]{1,253}$/.test(k)) throw new ZmtpError("EINVAL", `metadata name ${JSON.stringify(k)} must start with X- (at most 255 characters)`);
    if (typeof v !== "string") throw new ZmtpError("EINVAL", `metadata ${k} must be a string`);
  }
  const positive = ["sendHighWaterMark", "sendHighWaterMarkBytes", "receiveHighWaterMark", "receiveHighWaterMarkBytes", "maxMessageSize"] as const;
  for (const k of positive) {
    if (!Number.isSafeInteger(o[k]) || o[k] <= 0) throw new ZmtpError("EINVAL", `${k} must be a positive integer (got ${o[k]})`);
  }
  const timeouts = ["receiveTimeout", "sendTimeout"] as const;
  for (const k of timeouts) {
    if (typeof o[k] !== "number" || Number.isNaN(o[k]) || o[k] < -1) throw new ZmtpError("EINVAL", `${k} must be -1 or >= 0`);
  }
  for (const k of ["linger", "reconnectInterval", "reconnectMaxInterval"] as const) {
    if (typeof o[k] !== "number" || !(o[k] >= 0)) throw new ZmtpError("EINVAL", `${k} must be >= 0`);
  }
  if (o.routingId !== undefined && typeof o.routingId !== "string" && !Buffer.isBuffer(o.routingId)) {
    throw new ZmtpError("EINVAL", "routingId must be a string or Buffer");
  }
  if (o.routingId !== undefined && (o.routingId as Buffer | string).length > 255) {
    throw new ZmtpError("EINVAL", "routingId longer than 255 bytes");
  }
}
