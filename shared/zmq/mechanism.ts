/**
 * The security-mechanism interface (RFC 23 §"Security Mechanisms") that
 * the PLAIN and CURVE handshakes implement, as pure state machines: command
 * bodies in, command bodies (and decisions) out; the connection does the
 * I/O. NULL needs no state machine and stays in the connection.
 * @module
 */
import type { AuthRequest, MechanismName, Verdict } from "./auth.ts";
import { ZmtpError } from "./errors.ts";

/** What one handshake input produces. */
export interface HandshakeStep {
  /** Command bodies to send, in order (in the clear: handshake commands are never MESSAGEs). */
  send: Buffer[];
  /** The peer's metadata, just learnt: check it before anything else (socket type). */
  peer?: Map<string, Buffer>;
  /** Server: ask the authenticator, then call `onVerdict`. */
  auth?: AuthRequest;
  /** The handshake is complete. */
  done?: boolean;
  /** Close the connection with this error once `send` is out (a denial). */
  fail?: ZmtpError;
}

/** Seals and opens the frames of an established encrypted session (CURVE). */
export interface FrameCodec {
  /** Wire bytes a body of `len` bytes turns into. */
  sealedSize(len: number): number;
  /** Write the sealed form of `body` (inner ZMTP `flags`: MORE/COMMAND) at `out[off]`; returns the end offset. */
  sealInto(out: Buffer, off: number, flags: number, body: Buffer): number;
  /** Open one received wire body: its inner flags and payload. Throws ZmtpError. */
  open(wire: Buffer): { flags: number; body: Buffer };
}

export interface Mechanism {
  readonly name: Exclude<MechanismName, "NULL">;
  readonly asServer: boolean;
  /** Commands to send right after the greetings. */
  start(): Buffer[];
  /** Handle one handshake command body. Throws ZmtpError on a protocol violation. */
  onCommand(body: Buffer): HandshakeStep;
  /** Server only: continue after the authenticator's verdict. */
  onVerdict(v: Verdict): HandshakeStep;
  /** After `done`: the session codec, or null when frames travel in the clear (PLAIN). */
  readonly codec: FrameCodec | null;
  /** Credentials learnt during the handshake (PLAIN user name, CURVE peer key in Z85). */
  readonly username?: string;
  readonly peerPublicKey?: string;
}

/** The command name of a body (bounds-checked). */
export function commandName(body: Buffer): string {
  if (body.length < 1 || body.length < 1 + body[0]!) throw new ZmtpError("EPROTO", "truncated command name");
  return body.toString("latin1", 1, 1 + body[0]!);
}

/** Build a command body: name-size, name, data parts. */
export function commandBody(name: string, ...data: Uint8Array[]): Buffer {
  let len = 1 + name.length;
  for (const d of data) len += d.length;
  const out = Buffer.allocUnsafe(len);
  out[0] = name.length;
  out.write(name, 1, "latin1");
  let off = 1 + name.length;
  for (const d of data) {
    out.set(d, off);
    off += d.length;
  }
  return out;
}

/** ERROR body with a reason of at most 255 bytes (RFC 37 §"The ERROR Command"). */
export function errorBody(reason: string): Buffer {
  const r = Buffer.from(reason).subarray(0, 255);
  return commandBody("ERROR", Buffer.from([r.length]), r);
}

/**
 * The error a client raises on the server's ERROR command. A 3-digit ZAP
 * status (300/400/500, what libzmq sends on a denial) means EACCES.
 */
export function refusal(body: Buffer, mechanism: string): ZmtpError {
  const d = body.subarray(6);
  if (d.length < 1 || d.length < 1 + d[0]!) return new ZmtpError("EPROTO", "truncated ERROR");
  const reason = d.toString("utf8", 1, 1 + d[0]!);
  if (/^[345]\d\d$/.test(reason)) {
    return new ZmtpError("EACCES", `${mechanism} server refused authentication (status ${reason})`);
  }
  return new ZmtpError("ECOMPAT", `${mechanism} server refused the handshake: ${reason}`);
}

/** The ERROR a server sends for a denial, and the error it closes with. */
export function denial(v: Verdict & { allow: false }, mechanism: string): HandshakeStep {
  return {
    send: [errorBody(String(v.statusCode))],
    fail: new ZmtpError("EACCES", `${mechanism} client refused by the authenticator (${v.statusCode} ${v.statusText})`),
  };
}
