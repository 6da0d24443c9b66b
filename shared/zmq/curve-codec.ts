/**
 * CurveZMQ nonces and the MESSAGE command of an established session
 * (RFC 26 §"The MESSAGE Command", RFC 25 for its ZMTP use).
 *
 * MESSAGE = "\x07MESSAGE", 8-byte short nonce, Box[flags + payload](C'->S'
 * or S'->C'), nonce prefix "CurveZMQMESSAGEC" from the client and
 * "CurveZMQMESSAGES" from the server. The flags byte carries MORE (bit 0)
 * and COMMAND (bit 1) of the frame inside. Every frame of the session
 * becomes one MESSAGE sent as a single-part ZMTP frame, as libzmq does.
 * Short nonces count up from the handshake's; each received nonce must be
 * greater than the last one (RFC 26 §"The MESSAGE Command": short nonces
 * are strictly incrementing; libzmq enforces the same), so a replayed or
 * reordered MESSAGE closes the connection.
 * @module
 */
import { ZmtpError } from "./errors.ts";
import { MAC_BYTES, NONCE_BYTES, openSealed, sealInto, ZERO_BYTES } from "./nacl.ts";
import type { FrameCodec } from "./mechanism.ts";

const MESSAGE = Buffer.from("\x07MESSAGE", "latin1");
/** "\x07MESSAGE" + short nonce: exactly the 16 bytes NaCl zero-pads a box with. */
const HEADER = 16;
/** Smallest MESSAGE: header, tag, flags byte. */
export const MESSAGE_OVERHEAD = HEADER + MAC_BYTES + 1;
const SCRATCH_MAX = 64 * 1024;

/** 24-byte nonce: a 16-byte prefix and a big-endian 64-bit short nonce. */
export function shortNonce(prefix: string, n: number): Buffer {
  const b = Buffer.alloc(NONCE_BYTES);
  b.write(prefix, 0, 16, "latin1");
  writeU64(b, 16, n);
  return b;
}

/** 24-byte nonce: an 8-byte prefix and 16 given bytes. */
export function longNonce(prefix: string, tail: Uint8Array): Buffer {
  const b = Buffer.alloc(NONCE_BYTES);
  b.write(prefix, 0, 8, "latin1");
  b.set(tail.subarray(0, 16), 8);
  return b;
}

export function writeU64(b: Uint8Array, off: number, n: number): void {
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  b[off] = hi >>> 24;
  b[off + 1] = hi >>> 16;
  b[off + 2] = hi >>> 8;
  b[off + 3] = hi;
  b[off + 4] = lo >>> 24;
  b[off + 5] = lo >>> 16;
  b[off + 6] = lo >>> 8;
  b[off + 7] = lo;
}

/**
 * A 64-bit short nonce as a number. Beyond 2^53 it rounds, but rounding is
 * monotonic, so "greater than the last one" never accepts a smaller or
 * repeated nonce.
 */
export function readU64(b: Buffer, off: number): number {
  return b.readUInt32BE(off) * 0x100000000 + b.readUInt32BE(off + 4);
}

/** The session codec: one precomputed key, one counter each way. */
export class CurveCodec implements FrameCodec {
  private readonly sendNonce: Uint8Array;
  private readonly recvNonce: Uint8Array;
  /** Padded plaintext: ZERO_BYTES zeros (NaCl's layout, kept for the offsets), flags, body. */
  private scratch = new Uint8Array(ZERO_BYTES + 256);

  /**
   * @param key crypto_box_beforenm(peer's short-term public, our short-term secret)
   * @param nextOut the next short nonce we send
   * @param lastIn the last short nonce the peer used in the handshake
   */
  constructor(
    private readonly key: Uint8Array,
    sendPrefix: string,
    recvPrefix: string,
    private nextOut: number,
    private lastIn: number,
  ) {
    this.sendNonce = new Uint8Array(shortNonce(sendPrefix, 0));
    this.recvNonce = new Uint8Array(shortNonce(recvPrefix, 0));
  }

  sealedSize(len: number): number {
    return MESSAGE_OVERHEAD + len;
  }

  sealInto(out: Buffer, off: number, flags: number, body: Buffer): number {
    const d = ZERO_BYTES + 1 + body.length;
    let m = this.scratch;
    if (m.length < d) {
      m = new Uint8Array(d);
      if (d <= SCRATCH_MAX) this.scratch = m;
    }
    m[ZERO_BYTES] = (flags & 1) | (flags & 4 ? 2 : 0); // ZMTP MORE/COMMAND -> CurveZMQ bits 0/1
    m.set(body, ZERO_BYTES + 1);
    const n = this.nextOut++;
    writeU64(this.sendNonce, 16, n);
    // the box's 16 leading zero bytes land where the MESSAGE header goes: written over just after
    sealInto(out, off, m, d, this.sendNonce, this.key);
    out.set(MESSAGE, off);
    out.set(this.sendNonce.subarray(16), off + 8);
    return off + d;
  }

  open(wire: Buffer): { flags: number; body: Buffer } {
    let named = wire.length >= 8;
    for (let i = 0; named && i < 8; i++) named = wire[i] === MESSAGE[i];
    if (!named) throw new ZmtpError("EPROTO", "CURVE: expected a MESSAGE command");
    if (wire.length < MESSAGE_OVERHEAD) throw new ZmtpError("EPROTO", "CURVE: truncated MESSAGE");
    const n = readU64(wire, 8);
    if (!(n > this.lastIn)) throw new ZmtpError("EPROTO", `CURVE: MESSAGE nonce ${n} not above ${this.lastIn} (replayed or reordered)`);
    for (let i = 8; i < 16; i++) this.recvNonce[8 + i] = wire[i]!;
    const m = openSealed(wire, this.recvNonce, this.key);
    if (m === null || m.length < 1) throw new ZmtpError("EPROTO", "CURVE: MESSAGE box does not open (corrupted or forged)");
    this.lastIn = n;
    const f = m[0]!;
    return { flags: (f & 1) | (f & 2 ? 4 : 0), body: m.subarray(1) };
  }
}
