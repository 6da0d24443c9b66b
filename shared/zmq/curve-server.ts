/**
 * The server side of the CURVE handshake (RFC 26 §"The Handshake", RFC 25);
 * the command layouts are described in curve-client.ts.
 *
 * HELLO must be exactly 200 bytes, version 1.0, its box 64 zero bytes
 * sealed to our long-term key. WELCOME carries our short-term key S' and
 * a cookie: Box[C' + s'](K) under a cookie key K made for this connection
 * only ("COOKIE--" prefix), so the server needs nothing of the client's
 * until INITIATE echoes the cookie back. INITIATE must open, its vouch
 * must name this client's C' and our S, and its short nonce must follow
 * HELLO's; then the authenticator decides, and READY or ERROR follows.
 * @module
 */
import type { AuthRequest, Verdict } from "./auth.ts";
import { parseProps } from "./command.ts";
import { CurveCodec, longNonce, readU64, shortNonce, writeU64 } from "./curve-codec.ts";
import { HELLO_SIZE, INITIATE_MIN } from "./curve-client.ts";
import { ZmtpError } from "./errors.ts";
import { commandBody, commandName, denial, type HandshakeStep, type Mechanism } from "./mechanism.ts";
import { box, boxBefore, boxOpen, equal, keyPair, publicFromSecret, randomBytes, secretBox, secretOpen, type RawKeyPair } from "./nacl.ts";
import { z85Encode } from "./z85.ts";

const fail = (why: string) => new ZmtpError("EPROTO", `CURVE: ${why}`);

export class CurveServer implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = true;
  codec: CurveCodec | null = null;
  peerPublicKey?: string;
  private state: "hello" | "initiate" | "auth" | "done" = "hello";
  private readonly publicKey: Uint8Array;
  private readonly short: RawKeyPair = keyPair();
  private readonly cookieKey = randomBytes(32);
  private clientShort: Buffer | null = null;
  private helloNonce = 0;
  private initiateNonce = 0;
  private precomputed: Uint8Array | null = null;

  constructor(
    private readonly secretKey: Uint8Array,
    private readonly metadata: Buffer,
    private readonly request: Omit<AuthRequest, "mechanism" | "identity">,
  ) {
    this.publicKey = publicFromSecret(secretKey);
  }

  start(): Buffer[] {
    return [];
  }

  onCommand(body: Buffer): HandshakeStep {
    const name = commandName(body);
    if (this.state === "hello" && name === "HELLO") return this.onHello(body);
    if (this.state === "initiate" && name === "INITIATE") return this.onInitiate(body);
    const hint = this.state === "auth" ? " while authenticating" : name === "WELCOME" ? " (the peer is a CURVE server too)" : "";
    throw fail(`unexpected ${name} command${hint}`);
  }

  private onHello(body: Buffer): HandshakeStep {
    // RFC 26 §"The HELLO Command": 200 octets (the padding makes HELLO no smaller than WELCOME), version 1.0
    if (body.length !== HELLO_SIZE) throw fail(`HELLO of ${body.length} bytes (must be ${HELLO_SIZE})`);
    if (body[6] !== 1 || body[7] !== 0) throw fail(`unsupported CurveZMQ version ${body[6]}.${body[7]}`);
    const clientShort = Buffer.from(body.subarray(80, 112));
    this.helloNonce = readU64(body, 112);
    const nonce = shortNonce("CurveZMQHELLO---", 0);
    body.copy(nonce, 16, 112, 120);
    const sig = boxOpen(body.subarray(120, 200), nonce, clientShort, this.secretKey);
    if (sig === null || sig.some((b) => b !== 0)) throw fail("HELLO box does not open (client has the wrong server key?)");
    this.clientShort = clientShort;
    const cookieTail = randomBytes(16);
    const cookie = secretBox(Buffer.concat([clientShort, this.short.secretKey]), longNonce("COOKIE--", cookieTail), this.cookieKey);
    const welcomeTail = randomBytes(16);
    const sealed = box(Buffer.concat([this.short.publicKey, cookieTail, cookie]), longNonce("WELCOME-", welcomeTail), clientShort, this.secretKey);
    this.state = "initiate";
    return { send: [commandBody("WELCOME", welcomeTail, sealed)] };
  }

  private onInitiate(body: Buffer): HandshakeStep {
    if (body.length < INITIATE_MIN) throw fail("truncated INITIATE");
    // RFC 26 §"The INITIATE Command": the server MUST check the cookie is its own and the vouch names C' and S
    const cookie = secretOpen(body.subarray(25, 105), longNonce("COOKIE--", body.subarray(9, 25)), this.cookieKey);
    const clientShort = this.clientShort!;
    if (cookie === null || !equal(cookie.subarray(0, 32), clientShort) || !equal(cookie.subarray(32, 64), this.short.secretKey)) {
      throw fail("INITIATE cookie is not ours");
    }
    this.cookieKey.fill(0); // one INITIATE per cookie
    const n = readU64(body, 105);
    if (!(n > this.helloNonce)) throw fail("INITIATE nonce does not follow HELLO's");
    const nonce = shortNonce("CurveZMQINITIATE", 0);
    body.copy(nonce, 16, 105, 113);
    this.precomputed = boxBefore(clientShort, this.short.secretKey);
    const plain = secretOpen(body.subarray(113), nonce, this.precomputed);
    if (plain === null) throw fail("INITIATE box does not open");
    const clientKey = plain.subarray(0, 32);
    const vouch = boxOpen(plain.subarray(48, 128), longNonce("VOUCH---", plain.subarray(32, 48)), clientKey, this.short.secretKey);
    if (vouch === null || vouch.length !== 64) throw fail("INITIATE vouch does not open");
    if (!equal(vouch.subarray(0, 32), clientShort) || !equal(vouch.subarray(32, 64), this.publicKey)) {
      throw fail("INITIATE vouch names another connection or server");
    }
    this.initiateNonce = n;
    const props = parseProps(Buffer.from(plain.buffer, plain.byteOffset + 128, plain.length - 128));
    this.peerPublicKey = z85Encode(clientKey);
    this.state = "auth";
    const identity = props.get("identity")?.toString("latin1") ?? "";
    return { send: [], peer: props, auth: { ...this.request, mechanism: "CURVE", identity, clientPublicKey: this.peerPublicKey } };
  }

  onVerdict(v: Verdict): HandshakeStep {
    if (this.state !== "auth") throw new ZmtpError("EFSM", "CURVE: no authentication pending");
    if (!v.allow) return denial(v, "CURVE");
    const sealed = secretBox(this.metadata, shortNonce("CurveZMQREADY---", 1), this.precomputed!);
    const nonce = Buffer.alloc(8);
    writeU64(nonce, 0, 1);
    this.codec = new CurveCodec(this.precomputed!, "CurveZMQMESSAGES", "CurveZMQMESSAGEC", 2, this.initiateNonce);
    this.precomputed = null;
    this.short.secretKey.fill(0);
    this.state = "done";
    return { send: [commandBody("READY", nonce, sealed)], done: true };
  }
}
