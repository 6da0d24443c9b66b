/**
 * One ZMTP peer connection over a Bun TCP/unix socket.
 *
 * Lifecycle (RFC 23/37): greeting (parsed incrementally; on a bind that
 * accepts several mechanisms only signature and major version go out
 * first, and the rest, naming the client's mechanism, once the client's
 * whole greeting is in: libzmq sends its whole greeting as soon as it has
 * read our major version, so it never waits for ours) → handshake: NULL
 * (READY exchange, RFC 23 §"The NULL Security Mechanism") or a PLAIN/CURVE
 * state machine (mechanism.ts) with the authenticator on the server side →
 * socket-type compatibility check (ERROR + close when incompatible) →
 * traffic. Under CURVE every frame after the handshake, commands included,
 * travels sealed as a MESSAGE (curve-codec.ts); outbox.ts writes.
 * Any protocol violation closes this connection only; nothing is thrown out.
 * @module
 */
import type { Socket as BunSocket } from "bun";
import { askAuthenticator, makePeerInfo, type AuthRequest, type PeerInfo, type Verdict } from "./auth.ts";
import { encodeProps, parseCommand, pongFrame, readyFrame, errorFrame, subscribeFrame, cancelFrame, type Command } from "./command.ts";
import { isCompatible, type SocketType } from "./compat.ts";
import { MESSAGE_OVERHEAD } from "./curve-codec.ts";
import { ZmtpError } from "./errors.ts";
import { encodeFrame, FrameDecoder, FLAG_COMMAND, FLAG_MORE, MAX_PARTS } from "./frame.ts";
import { checkGreetingPrefix, encodeGreeting, GREETING_SIZE, parseGreeting, peerMechanism } from "./greeting.ts";
import type { FrameCodec, HandshakeStep, Mechanism } from "./mechanism.ts";
import { Outbox } from "./outbox.ts";
import { createMechanism, NULL_SECURITY, type AcceptedSecurity, type Security } from "./security.ts";

/** What a connection needs from the socket that owns it. */
export interface ConnectionOwner {
  readonly type: SocketType;
  readonly ownRoutingId: Buffer | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly maxMessageSize: number;
  readonly sendHighWaterMark: number;
  readonly sendHighWaterMarkBytes: number;
  onPeerReady(c: Connection): void;
  onPeerMessage(c: Connection, parts: Buffer[]): void;
  onPeerSubscription(c: Connection, subscribe: boolean, topic: Buffer): void;
  onPeerDrain(c: Connection): void;
  onPeerClosed(c: Connection, err?: ZmtpError): void;
}

const HANDSHAKE_TIMEOUT_MS = 30_000;
/** A negotiated bind's first greeting write: signature and major version. */
const GREETING_SPLIT = 11;
/** Largest frame a PLAIN/CURVE peer may send before it is authenticated (INITIATE with metadata fits easily). */
const HANDSHAKE_FRAME_MAX = 64 * 1024;

export class Connection {
  state: "greeting" | "handshake" | "ready" | "closed" = "greeting";
  /** Peer's socket type and identity from READY. */
  peerType = "";
  peerIdentity: Buffer | null = null;
  /** Assigned by ROUTER. */
  routingId: Buffer | null = null;
  /** Peer's minor ZMTP version (0 = speak 3.0 to it). */
  peerMinor = 0;
  paused = false;
  /** Who the peer is, once the handshake is complete. */
  peer: PeerInfo | null = null;
  /** The endpoint this connection was dialled to or accepted on (set by the socket). */
  endpoint = "";
  /** The peer's IP address ("" over ipc) and port. */
  readonly address: string;
  readonly port: number;

  private greet: Buffer | null = Buffer.alloc(GREETING_SIZE);
  private greetLen = 0;
  private readonly decoder: FrameDecoder;
  private readonly out: Outbox;
  private timer: ReturnType<typeof setTimeout> | null;
  private destroying = false;
  private mech: Mechanism | null = null;
  private codec: FrameCodec | null = null;
  private peerProps: Map<string, Buffer> = new Map();
  private verdict: Verdict | null = null;
  /** The mechanism in force (a negotiated bind settles on one once the peer's greeting is in). */
  security: AcceptedSecurity;
  /** A negotiated bind's choices, until the peer's greeting picks one. */
  private choices: Security & { mechanism: "NEGOTIATED" } | null = null;
  /** Parts of a sealed multipart message being assembled. */
  private inner: Buffer[] = [];
  private innerBytes = 0;

  constructor(
    readonly owner: ConnectionOwner,
    readonly sock: BunSocket<any>,
    security: Security = NULL_SECURITY,
  ) {
    if (security.mechanism === "NEGOTIATED") this.choices = security;
    this.security = security.mechanism === "NEGOTIATED" ? NULL_SECURITY : security;
    this.address = sock.remoteAddress ?? "";
    this.port = sock.remotePort ?? 0;
    // a PLAIN/CURVE peer gets no large allocation out of us before it is authenticated (see becomeReady)
    this.decoder = new FrameDecoder(security.mechanism === "NULL" ? owner.maxMessageSize : HANDSHAKE_FRAME_MAX, {
      onMessage: (parts) => this.onMessage(parts),
      onCommand: (body) => this.onCommandBody(body),
    });
    this.out = new Outbox(owner, sock, {
      drained: () => {
        if (this.state === "ready") this.owner.onPeerDrain(this);
      },
      failed: (e) => this.destroy(e),
    });
    this.timer = setTimeout(() => this.destroy(new ZmtpError("EPROTO", "handshake timeout")), HANDSHAKE_TIMEOUT_MS);
    this.timer.unref?.();
    if (this.choices) this.out.raw(encodeGreeting().subarray(0, GREETING_SPLIT));
    else this.out.raw(encodeGreeting(this.security.mechanism, this.security.server));
  }

  get full(): boolean {
    return this.out.full;
  }

  /** Messages queued but not yet handed to the kernel. */
  get queued(): number {
    return this.out.queued;
  }

  /** Bytes queued but not yet handed to the kernel. */
  get queuedBytes(): number {
    return this.out.queuedBytes;
  }

  /** True when nothing is waiting to be written. */
  get flushed(): boolean {
    return this.out.flushed;
  }

  /** Bun `data` handler. */
  onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    try {
      let rest = chunk;
      if (this.greet !== null) {
        const take = Math.min(GREETING_SIZE - this.greetLen, chunk.length);
        chunk.copy(this.greet, this.greetLen, 0, take);
        this.greetLen += take;
        checkGreetingPrefix(this.greet, this.greetLen);
        if (this.greetLen < GREETING_SIZE) return;
        if (this.choices) this.settle(this.greet);
        const sec = this.security;
        const g = parseGreeting(this.greet, sec.mechanism);
        this.greet = null;
        this.peerMinor = g.major > 3 ? 1 : g.minor;
        this.state = "handshake";
        const props: Record<string, Uint8Array | string> = { ...this.owner.metadata, "Socket-Type": this.owner.type };
        if (this.owner.ownRoutingId) props.Identity = this.owner.ownRoutingId;
        this.mech = sec.mechanism === "NULL" ? null : createMechanism(sec, encodeProps(props), this.address);
        if (this.mech === null) this.out.raw(readyFrame(props));
        else for (const b of this.mech.start()) this.out.raw(encodeFrame(b, FLAG_COMMAND));
        rest = chunk.subarray(take);
      }
      if (rest.length > 0) this.decoder.push(rest);
    } catch (e) {
      this.destroy(e instanceof ZmtpError ? e : new ZmtpError("EPROTO", "bad input", e));
    }
  }

  /** A negotiated bind: take the client's mechanism if listed, and finish our greeting with it. */
  private settle(greeting: Buffer): void {
    const name = peerMechanism(greeting);
    const { choices } = this.choices!;
    const chosen = choices.get(name);
    this.choices = null;
    if (!chosen) {
      const listed = [...choices.keys()].join(", ");
      throw new ZmtpError("ECOMPAT", `mechanism mismatch: peer uses ${JSON.stringify(name)}, this endpoint accepts ${listed}`);
    }
    this.security = chosen;
    this.out.raw(encodeGreeting(chosen.mechanism, chosen.server).subarray(GREETING_SPLIT));
  }

  private onCommandBody(body: Buffer): void {
    if (this.mech !== null) {
      if (this.state === "handshake") return this.step(this.mech.onCommand(body));
      if (this.codec !== null) return this.onSealed(body); // a MESSAGE sent in a command frame
    }
    this.onCommand(parseCommand(body));
  }

  private onCommand(cmd: Command): void {
    if (this.state === "handshake") {
      if (cmd.name === "ERROR") throw new ZmtpError("ECOMPAT", `peer refused handshake: ${cmd.reason}`);
      if (cmd.name !== "READY") throw new ZmtpError("EPROTO", `expected READY, got ${cmd.name}`);
      this.acceptPeer(cmd.props);
      this.becomeReady();
      return;
    }
    switch (cmd.name) {
      case "PING":
        this.out.command(pongFrame(cmd.context));
        return;
      case "SUBSCRIBE":
      case "CANCEL":
        this.owner.onPeerSubscription(this, cmd.name === "SUBSCRIBE", Buffer.from(cmd.topic));
        return;
      case "ERROR":
        throw new ZmtpError("EPROTO", `peer error: ${cmd.reason}`);
      case "READY":
        throw new ZmtpError("EPROTO", "duplicate READY");
      default:
        return; // PONG and unknown commands are ignored
    }
  }

  /** The peer's metadata: remember it, and refuse an incompatible socket type. */
  private acceptPeer(props: Map<string, Buffer>): void {
    this.peerProps = props;
    this.peerType = props.get("socket-type")?.toString("latin1") ?? "";
    const id = props.get("identity");
    this.peerIdentity = id && id.length > 0 ? Buffer.from(id) : null;
    if (!isCompatible(this.owner.type, this.peerType)) {
      this.out.raw(errorFrame("Invalid socket type"));
      throw new ZmtpError("ECOMPAT", `incompatible peer socket type ${JSON.stringify(this.peerType)}`);
    }
  }

  private becomeReady(): void {
    this.state = "ready";
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.codec = this.mech?.codec ?? null;
    this.out.codec = this.codec;
    // a sealed frame is a MESSAGE: header, tag and flags byte around the body
    this.decoder.maxMessageSize = this.owner.maxMessageSize + (this.codec ? MESSAGE_OVERHEAD : 0);
    this.peer = makePeerInfo({
      mechanism: this.security.mechanism,
      address: this.address,
      port: this.port,
      props: this.peerProps,
      verdict: this.verdict,
      username: this.mech?.username,
      publicKey: this.mech?.peerPublicKey,
    });
    this.owner.onPeerReady(this);
  }

  /** Carry out what the mechanism asked for. */
  private step(s: HandshakeStep): void {
    if (s.peer) this.acceptPeer(s.peer);
    for (const b of s.send) this.out.raw(encodeFrame(b, FLAG_COMMAND));
    if (s.fail) throw s.fail;
    if (s.auth) this.authenticate(s.auth);
    else if (s.done) this.becomeReady();
  }

  /** RFC 27 semantics, in process: no hook means CURVE's "allow any key" (PLAIN always has one). */
  private authenticate(req: AuthRequest): void {
    const sec = this.security;
    const hook = sec.mechanism !== "NULL" && sec.server ? sec.authenticate : null;
    const defaultUser = req.username ?? req.clientPublicKey ?? "";
    const properties = new Map<string, string>();
    for (const [k, v] of this.peerProps) properties.set(k, v.toString("utf8"));
    req = { ...req, properties };
    const go = (v: Verdict) => {
      if (this.state === "closed") return;
      this.verdict = v;
      try {
        this.step(this.mech!.onVerdict(v));
      } catch (e) {
        this.destroy(e instanceof ZmtpError ? e : new ZmtpError("EPROTO", "handshake failed", e));
      }
    };
    if (hook === null) go({ allow: true, userId: defaultUser, metadata: {} });
    else askAuthenticator(hook, req, defaultUser, go);
  }

  private onMessage(parts: Buffer[]): void {
    if (this.state !== "ready") throw new ZmtpError("EPROTO", "message before handshake completed");
    if (this.codec !== null) {
      for (const p of parts) if (this.state === "ready") this.onSealed(p);
      return;
    }
    this.owner.onPeerMessage(this, parts);
  }

  /** One MESSAGE of a CURVE session: a command, or a part of a message. */
  private onSealed(wire: Buffer): void {
    const { flags, body } = this.codec!.open(wire);
    if (flags & FLAG_COMMAND) {
      if (this.inner.length > 0) throw new ZmtpError("EPROTO", "command frame inside a multipart message");
      return this.onCommand(parseCommand(body));
    }
    this.innerBytes += body.length;
    if (this.innerBytes > this.owner.maxMessageSize) {
      throw new ZmtpError("EMSGSIZE", `message of ${this.innerBytes}+ bytes exceeds maxMessageSize ${this.owner.maxMessageSize}`);
    }
    this.inner.push(body);
    if (flags & FLAG_MORE) {
      if (this.inner.length >= MAX_PARTS) throw new ZmtpError("EMSGSIZE", "too many parts in one message");
      return;
    }
    const msg = this.inner;
    this.inner = [];
    this.innerBytes = 0;
    this.owner.onPeerMessage(this, msg);
  }

  /** Queue a multipart message. Caller checks `full` first if it cares. */
  send(parts: Buffer[]): void {
    if (this.state !== "closed") this.out.send(parts);
  }

  /** Send a subscription in the form the peer understands (RFC 37 command or 3.0 data frame). */
  sendSubscription(subscribe: boolean, topic: Buffer): void {
    if (this.peerMinor >= 1) this.out.command(subscribe ? subscribeFrame(topic) : cancelFrame(topic));
    else {
      const b = Buffer.allocUnsafe(topic.length + 1);
      b[0] = subscribe ? 1 : 0;
      topic.copy(b, 1);
      this.send([b]);
    }
  }

  /** Queue bytes already encoded. */
  writeRaw(b: Buffer): void {
    if (this.state !== "closed") this.out.raw(b);
  }

  /** Bun `drain` handler. */
  onDrain(): void {
    if (this.state !== "closed") this.out.onDrain();
  }

  pause(): void {
    if (!this.paused && this.state !== "closed") {
      this.paused = true;
      this.sock.pause();
    }
  }

  resume(): void {
    if (this.paused && this.state !== "closed") {
      this.paused = false;
      this.sock.resume();
    }
  }

  /** The transport ended (the peer hung up): an error only if the handshake was not complete. */
  peerClosed(): void {
    if (this.state === "ready" || this.state === "closed") return this.destroy();
    const mech = this.security.mechanism;
    // libzmq hangs up on a mechanism mismatch before its greeting is out, so the peer's is not known
    const [during, hint] =
      this.state === "greeting"
        ? ["greeting", ` (does it use the ${mech} mechanism too?)`]
        : [`${mech} handshake`, mech === "CURVE" && !this.security.server ? " (wrong curveServerKey?)" : ""];
    this.destroy(new ZmtpError("EPROTO", `peer closed the connection during the ${during}${hint}`));
  }

  /** Close the connection (idempotent); the owner hears about it once. */
  destroy(err?: ZmtpError): void {
    if (this.state === "closed" || this.destroying) return;
    this.destroying = true;
    if (err && this.state !== "ready") this.out.flush(); // let a pending ERROR command out
    this.state = "closed";
    this.out.closed = true;
    this.decoder.stop();
    if (this.timer) clearTimeout(this.timer);
    this.out.clear();
    try {
      this.sock.end();
    } catch {
      // already closed
    }
    this.owner.onPeerClosed(this, err);
  }
}
