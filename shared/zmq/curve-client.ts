/**
 * The client side of the CURVE handshake (RFC 26 §"The Handshake", RFC 25).
 *
 * HELLO: version 1.0, 72 zero bytes of anti-amplification padding, our
 * short-term key C', short nonce, Box[64 zeros](C'->S).
 * WELCOME (exactly 168 bytes): Box[S' + cookie](S->C'), long nonce
 * "WELCOME-" + 16 random bytes.
 * INITIATE: the cookie echoed, short nonce, Box[C + vouch + metadata](C'->S')
 * where vouch = 16-byte nonce + Box[C' + S](C->S') ("VOUCH---" prefix).
 * READY: short nonce, Box[metadata](S'->C').
 * A fresh short-term key pair per connection; short nonces 1 (HELLO) and 2
 * (INITIATE), MESSAGEs from 3 on.
 * @module
 */
import type { Verdict } from "./auth.ts";
import { parseProps } from "./command.ts";
import { CurveCodec, longNonce, readU64, shortNonce, writeU64 } from "./curve-codec.ts";
import { ZmtpError } from "./errors.ts";
import { commandBody, commandName, refusal, type HandshakeStep, type Mechanism } from "./mechanism.ts";
import { box, boxBefore, boxOpen, keyPair, randomBytes, secretBox, secretOpen, type RawKeyPair } from "./nacl.ts";
import { z85Encode } from "./z85.ts";

export const HELLO_SIZE = 200;
export const WELCOME_SIZE = 168;
/** INITIATE without metadata: 9 + cookie 96 + nonce 8 + box of 128 + tag 16. */
export const INITIATE_MIN = 257;
/** READY without metadata: 6 + nonce 8 + tag 16. */
export const READY_MIN = 30;

export interface CurveClientKeys {
  publicKey: Buffer;
  secretKey: Buffer;
  serverKey: Buffer;
}

export class CurveClient implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = false;
  codec: CurveCodec | null = null;
  readonly peerPublicKey: string;
  private state: "welcome" | "ready" | "done" = "welcome";
  private readonly short: RawKeyPair = keyPair();
  private precomputed: Uint8Array | null = null;

  constructor(
    private readonly keys: CurveClientKeys,
    private readonly metadata: Buffer,
  ) {
    this.peerPublicKey = z85Encode(keys.serverKey);
  }

  start(): Buffer[] {
    const hello = box(new Uint8Array(64), shortNonce("CurveZMQHELLO---", 1), this.keys.serverKey, this.short.secretKey);
    const nonce = Buffer.alloc(8);
    writeU64(nonce, 0, 1);
    return [commandBody("HELLO", Buffer.from([1, 0]), new Uint8Array(72), this.short.publicKey, nonce, hello)];
  }

  onCommand(body: Buffer): HandshakeStep {
    const name = commandName(body);
    if (name === "ERROR" && this.state !== "done") throw refusal(body, "CURVE");
    if (this.state === "welcome" && name === "WELCOME") return this.onWelcome(body);
    if (this.state === "ready" && name === "READY") return this.onReady(body);
    const hint = name === "HELLO" ? " (the peer is a CURVE client too)" : "";
    throw new ZmtpError("EPROTO", `CURVE: unexpected ${name} command${hint}`);
  }

  onVerdict(_v: Verdict): HandshakeStep {
    throw new ZmtpError("EFSM", "CURVE client has no authenticator");
  }

  private onWelcome(body: Buffer): HandshakeStep {
    // RFC 26 §"The WELCOME Command": 168 octets, its box sealed by the long-term key the client expects
    if (body.length !== WELCOME_SIZE) throw new ZmtpError("EPROTO", `CURVE: WELCOME of ${body.length} bytes (must be ${WELCOME_SIZE})`);
    const plain = boxOpen(body.subarray(24), longNonce("WELCOME-", body.subarray(8, 24)), this.keys.serverKey, this.short.secretKey);
    if (plain === null || plain.length !== 128) throw new ZmtpError("EPROTO", "CURVE: WELCOME box does not open (wrong server key?)");
    const serverShort = plain.subarray(0, 32);
    const cookie = plain.subarray(32, 128);
    this.precomputed = boxBefore(serverShort, this.short.secretKey);
    const vouchTail = randomBytes(16);
    const vouchPlain = Buffer.concat([this.short.publicKey, this.keys.serverKey]);
    const vouch = box(vouchPlain, longNonce("VOUCH---", vouchTail), serverShort, this.keys.secretKey);
    const inner = Buffer.concat([this.keys.publicKey, vouchTail, vouch, this.metadata]);
    const sealed = secretBox(inner, shortNonce("CurveZMQINITIATE", 2), this.precomputed);
    const nonce = Buffer.alloc(8);
    writeU64(nonce, 0, 2);
    this.state = "ready";
    return { send: [commandBody("INITIATE", cookie, nonce, sealed)] };
  }

  private onReady(body: Buffer): HandshakeStep {
    if (body.length < READY_MIN) throw new ZmtpError("EPROTO", "CURVE: truncated READY");
    const n = readU64(body, 6);
    const nonce = shortNonce("CurveZMQREADY---", 0);
    body.copy(nonce, 16, 6, 14);
    const plain = secretOpen(body.subarray(14), nonce, this.precomputed!);
    if (plain === null) throw new ZmtpError("EPROTO", "CURVE: READY box does not open");
    const props = parseProps(Buffer.from(plain.buffer, plain.byteOffset, plain.length));
    this.state = "done";
    this.codec = new CurveCodec(this.precomputed!, "CurveZMQMESSAGEC", "CurveZMQMESSAGES", 3, n);
    this.precomputed = null;
    this.short.secretKey.fill(0);
    return { send: [], peer: props, done: true };
  }
}
