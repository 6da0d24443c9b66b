/**
 * The 64-byte ZMTP greeting (RFC 23 §"Version Negotiation", RFC 37).
 *
 * Layout: signature `ff` + 8 padding bytes + `7f`, version major/minor,
 * 20-byte zero-padded mechanism name, as-server flag, 31 bytes filler.
 * Parsing is incremental: {@link checkGreetingPrefix} validates whatever has
 * arrived so far, so a bad peer is rejected after its first bytes.
 * @module
 */
import { ZmtpError } from "./errors.ts";

export const GREETING_SIZE = 64;

/** Parsed peer greeting. */
export interface Greeting {
  major: number;
  minor: number;
  mechanism: string;
  asServer: boolean;
}

/** Encode our greeting: ZMTP 3.1, given mechanism (default NULL). */
export function encodeGreeting(mechanism = "NULL", asServer = false): Buffer {
  const b = Buffer.alloc(GREETING_SIZE);
  b[0] = 0xff;
  b[9] = 0x7f;
  b[10] = 3;
  b[11] = 1;
  b.write(mechanism, 12, 20, "ascii");
  b[32] = asServer ? 1 : 0;
  return b;
}

/**
 * Validate the first `len` bytes of a greeting that may still be incomplete.
 * Throws ZmtpError EPROTO (bad signature) or ECOMPAT (version < 3).
 */
export function checkGreetingPrefix(b: Uint8Array, len = b.length): void {
  if (len > 0 && b[0] !== 0xff) throw new ZmtpError("EPROTO", "bad greeting signature");
  // RFC 23: the final signature byte has its low bit set (0x7f); 1.0/2.0 peers differ here.
  if (len > 9 && (b[9]! & 1) !== 1) throw new ZmtpError("EPROTO", "bad greeting signature");
  if (len > 10 && b[10]! < 3) throw new ZmtpError("ECOMPAT", `unsupported ZMTP version ${b[10]}`);
}

/** The mechanism name of a complete greeting. Throws EPROTO if it is not zero-padded. */
export function peerMechanism(b: Uint8Array): string {
  let end = 12;
  while (end < 32 && b[end] !== 0) end++;
  for (let i = end; i < 32; i++) {
    if (b[i] !== 0) throw new ZmtpError("EPROTO", "mechanism not zero-padded");
  }
  return Buffer.from(b.buffer, b.byteOffset + 12, end - 12).toString("latin1");
}

/**
 * Parse a complete greeting. `expectMechanism` must match the peer's mechanism
 * (RFC 23: both peers must use the same mechanism). The as-server flag is
 * reported, not enforced: libzmq 4.3 always sends 0 there.
 */
export function parseGreeting(b: Uint8Array, expectMechanism = "NULL"): Greeting {
  checkGreetingPrefix(b);
  if (b.length < GREETING_SIZE) throw new ZmtpError("EPROTO", "truncated greeting");
  const mechanism = peerMechanism(b);
  if (mechanism !== expectMechanism) {
    throw new ZmtpError(
      "ECOMPAT",
      `mechanism mismatch: peer uses ${JSON.stringify(mechanism)}, this socket ${JSON.stringify(expectMechanism)}`,
    );
  }
  return { major: b[10]!, minor: b[11]!, mechanism, asServer: b[32] === 1 };
}
