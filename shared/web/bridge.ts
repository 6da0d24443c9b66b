/**
 * One browser session: its WebSocket frames on one side, a chat client
 * session on the cluster on the other (REQ to the broker with the
 * terminal client's timeout, retry and message-id rules, SUB to the proxy
 * with topics compared exactly, the tolerant readers), so that to the
 * cluster a browser user is just another client.
 *
 * Nothing the browser sends is trusted: every frame is rate-limited and
 * checked (inbound.ts) before it reaches the session; a frame that is not
 * JSON, a binary frame, a flood, too many refused requests or no login in
 * time close the socket. The bridge keeps nothing the cluster does not
 * hold: the channels it listens to are the browser's, told again after
 * each reconnect. The session announces its presence as the terminal
 * client's does, so others see a browser user online and in its channels.
 *
 * A login's password (owned names) goes to the chat session and nowhere
 * else (the session keeps it for its life, to log in with): no log line
 * shows it (a JSON one says "(hidden)") and no reply carries it. A
 * refusal that a password would answer ({@link needsPassword}) reaches
 * the browser with code `password`.
 *
 * @module
 */
import { ClientError } from "../client/client-error.ts";
import type { Delivery } from "../client/delivery.ts";
import { PresenceAgent } from "../client/presence.ts";
import { ChatSession, needsPassword } from "../client/session.ts";
import { createLogger, type LogMode, type Logger } from "../roles/log.ts";
import { parseFrame } from "./inbound.ts";
import {
  CLOSE,
  FRAME_BURST,
  FRAME_RATE,
  LOGIN_TIMEOUT_MS,
  MAX_IN_FLIGHT,
  MAX_JOINED,
  MAX_STRIKES,
  type BrowserRequest,
  type ErrorCode,
  type GatewayFrame,
  type ReplyData,
  type RequestType,
} from "./protocol.ts";
import { TokenBucket } from "./rate.ts";

export interface BridgeOptions {
  endpoints: { brokerFrontend: string; proxyXpub: string };
  timeoutMs: number;
  retries: number;
  logMode: LogMode;
  /** The browser's address, naming the session in log lines until it logs in. */
  peer: string;
  /** Sends one frame to the browser. */
  send: (text: string) => void;
  /** Closes the browser's socket. */
  close: (code: number, reason: string) => void;
  now?: () => number;
}

export class BrowserBridge {
  private session: ChatSession | null = null;
  private presence: PresenceAgent | null = null;
  private loggingIn = false;
  private log: Logger;
  private inFlight = 0;
  private strikes = 0;
  private reachable: boolean | null = null;
  private closed = false;
  private readonly bucket: TokenBucket;
  private readonly now: () => number;
  private readonly loginTimer: ReturnType<typeof setTimeout>;

  constructor(private readonly o: BridgeOptions) {
    this.now = o.now ?? Date.now;
    this.bucket = new TokenBucket(FRAME_RATE, FRAME_BURST, this.now());
    this.log = createLogger({ role: "web", name: o.peer, mode: o.logMode });
    this.loginTimer = setTimeout(() => {
      if (!this.session) this.cutOff(CLOSE.policy, "no login in time");
    }, LOGIN_TIMEOUT_MS);
  }

  /** The logged-in user, if any. */
  get user(): string | undefined {
    return this.session?.user;
  }

  private get lamport(): number {
    return this.session?.clock.value ?? 0;
  }

  /** A text frame from the browser. */
  onText(text: string): void {
    if (this.closed) return;
    if (!this.bucket.take(this.now())) return this.cutOff(CLOSE.policy, "too many frames");
    const r = parseFrame(text);
    if (!r.ok) {
      this.log.recv("browser", { service: "(bad frame)", data: { description: r.error } }, this.lamport);
      if (r.fatal) return this.cutOff(CLOSE.invalid, r.error);
      return this.refuse(r.ref, "bad-request", r.error, true);
    }
    const { t, ref: _ref, ...fields } = r.req;
    this.log.recv("browser", { service: t, data: renamed(fields) }, this.lamport);
    if (this.inFlight >= MAX_IN_FLIGHT) return this.refuse(r.req.ref, "busy", "too many requests at once; wait for the replies", true);
    this.inFlight++;
    void this.run(r.req).finally(() => this.inFlight--);
  }

  /** A binary frame: not ours. */
  onBinary(): void {
    this.cutOff(CLOSE.unsupported, "binary frames are not accepted");
  }

  /** The socket closed: drop the cluster session. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.loginTimer);
    const s = this.session;
    this.session = null;
    // Offline first (bounded by its timeout), so others see the user leave at once.
    if (s) void (this.presence?.stop() ?? Promise.resolve()).finally(() => s.close());
  }

  private async run(req: BrowserRequest): Promise<void> {
    try {
      const data = await this.handle(req);
      this.emit({ t: "reply", ref: req.ref, ok: true, data }, req.t);
    } catch (e) {
      if (e instanceof ClientError) {
        const code: ErrorCode = req.t === "login" && needsPassword(e) ? "password" : e.code === "bad-reply" ? "refused" : e.code;
        return this.refuse(req.ref, code, e.message, false, req.t);
      }
      this.log.error(`${req.t}: ${(e as Error)?.message ?? e}`, this.lamport);
      this.refuse(req.ref, "refused", "the gateway failed to handle this request", false, req.t);
    }
  }

  private async handle(req: BrowserRequest): Promise<ReplyData[RequestType]> {
    if (req.t === "login") return this.login(req.user, req.password);
    const s = this.session;
    if (!s) throw new ClientError("state", "log in first");
    switch (req.t) {
      case "join": {
        if (!s.joined.includes(req.channel) && s.joined.length >= MAX_JOINED) throw new ClientError("state", `at most ${MAX_JOINED} channels at once`);
        return { channel: req.channel, created: await s.join(req.channel) };
      }
      case "part":
        // Leaving a channel this gateway never listened to (joined before a reconnect) is done already.
        return { channel: s.joined.includes(req.channel) ? s.leave(req.channel) : req.channel };
      case "publish":
        return { id: await s.publish(req.channel, req.text, req.id), timestamp: this.now() };
      case "message": {
        const id = await s.message(req.dst, req.text, req.id);
        return { id, timestamp: this.now() };
      }
      case "history": {
        const target = req.channel !== undefined ? { channel: req.channel } : { user: req.peer! };
        return s.historyPage(target, req.limit ?? 100, req.before);
      }
      case "channels":
        return { channels: await s.channels() };
      case "users":
        return { users: await s.users() };
    }
  }

  private async login(user: string, password: string | undefined): Promise<ReplyData["login"]> {
    if (this.session) {
      if (this.session.user !== user) throw new ClientError("state", `already logged in as ${this.session.user}`);
      return { user };
    }
    if (this.loggingIn) throw new ClientError("state", "a login is under way");
    this.loggingIn = true;
    const log = createLogger({ role: "web", name: user, mode: this.o.logMode });
    const s = new ChatSession({
      user,
      password,
      endpoints: this.o.endpoints,
      log,
      timeoutMs: this.o.timeoutMs,
      retries: this.o.retries,
      onDelivery: (m) => this.deliver(m),
      onReach: (ok, why) => this.reach(ok, why),
    });
    const before = this.log;
    this.log = log;
    try {
      await s.login();
    } catch (e) {
      s.close();
      this.log = before;
      throw e;
    } finally {
      this.loggingIn = false;
    }
    if (this.closed) {
      s.close();
      throw new ClientError("state", "closed");
    }
    this.session = s;
    clearTimeout(this.loginTimer);
    // Online while the browser is here, in the channels it listens to, like any terminal client.
    this.presence = new PresenceAgent(s);
    this.presence.start();
    return { user };
  }

  private deliver(m: Delivery): void {
    this.emit({ t: "msg", m });
  }

  /** Tells the browser when the cluster stops or starts answering. */
  private reach(ok: boolean, why?: string): void {
    if (this.reachable === ok) return;
    this.reachable = ok;
    this.emit(ok ? { t: "reach", ok } : { t: "reach", ok, why: why ?? "no server answered" });
  }

  private refuse(ref: number, code: ErrorCode, error: string, strike: boolean, t?: RequestType): void {
    this.emit({ t: "reply", ref, ok: false, code, error }, t);
    if (strike && ++this.strikes > MAX_STRIKES) this.cutOff(CLOSE.policy, "too many bad requests");
  }

  private emit(frame: GatewayFrame, about?: RequestType): void {
    if (this.closed) return;
    this.log.send("browser", logged(frame, about), this.lamport);
    this.o.send(JSON.stringify(frame));
  }

  /** Says why, then closes the socket; the session goes with it. */
  private cutOff(code: number, reason: string): void {
    if (this.closed) return;
    this.emit({ t: "bye", reason });
    this.log.info(`closing the browser's socket: ${reason}`, this.lamport);
    this.close();
    this.o.close(code, reason);
  }
}

/** A request's fields as the log shows them (`text` as the contract's `message`, never a password). */
function renamed(fields: Record<string, unknown>): Record<string, unknown> {
  const { text, password, ...rest } = fields;
  const shown = password === undefined ? rest : { ...rest, password: "(hidden)" };
  return text === undefined ? shown : { ...shown, message: text };
}

/** A frame as one log line's `{service, data}`. */
function logged(f: GatewayFrame, about?: RequestType): { service: string; data: Record<string, unknown> } {
  switch (f.t) {
    case "reply": {
      const service = `${about ?? "reply"}`;
      if (!f.ok) return { service, data: { status: "erro", description: f.error } };
      const d = f.data as Record<string, unknown>;
      return { service, data: { status: "OK", id: d.id, channel: d.channel, messages: d.messages, channels: d.channels, users: d.users } };
    }
    case "msg": {
      const m = f.m;
      if (m.kind === "channel") return { service: "publish", data: { user: m.user, channel: m.channel, id: m.id, message: m.text } };
      if (m.kind === "private") return { service: "message", data: { src: m.src, dst: m.dst, id: m.id, message: m.text } };
      return { service: "line", data: { channel: m.topic, message: m.text } };
    }
    case "reach":
      return { service: "reach", data: { status: f.ok ? "OK" : "erro", description: f.why } };
    case "bye":
      return { service: "bye", data: { description: f.reason } };
  }
}
