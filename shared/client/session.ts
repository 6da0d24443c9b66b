/**
 * One logged-in chat user over the wire: requests through the broker
 * (RpcClient: timeout, retry on a fresh socket, Lamport stamping, logging)
 * and deliveries from the proxy (a SUB socket, topics compared exactly,
 * Lamport clock merged, duplicates by id dropped). Reads other teams'
 * servers too: flat replies and deliveries, any status spelling, our own
 * posts coming back without an id. Extension topics (`$presence`) go to
 * their own handlers; background requests (presence, probes) use a second
 * socket so they never hold up a command. Shared by the clients and the
 * bot; knows nothing about terminals.
 *
 * Owned names (an extension, see shared/server/owned-names.ts): with a
 * `password`, the login sends it; a login that answers a `token` makes the
 * session send that token on every publish, message and history, and its
 * subscription reconnect with PLAIN credentials (feed.ts), so that the
 * proxy hands it the user's private messages.
 *
 * @module
 */
import type { SocketOptions } from "../zmq/index.ts";
import { TopicRoutes } from "../wire/topic-routes.ts";
import { decode } from "../wire/codec.ts";
import { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import { HISTORY_DEFAULT_LIMIT, type Envelope } from "../wire/protocol.ts";
import { RpcClient, RpcError } from "../wire/rpc-client.ts";
import { readClock, readTimestamp } from "../wire/tolerant.ts";
import { Feed } from "./feed.ts";
import { historyEntry, parseDelivery, type Delivery, type Place } from "./delivery.ts";
import { OwnPosts } from "./own-posts.ts";
import type { HistoryTarget } from "./commands.ts";
import { readReply, refusalText, replyFields } from "./replies.ts";
import { ClientError, newMessageId } from "./client-error.ts";

export { ClientError, newMessageId };

export interface SessionOptions {
  user: string;
  /** The name's password (owned names): registers the name if nobody has, else must match. */
  password?: string;
  /** Broker frontend (REQ) and proxy XPUB (SUB) endpoints to connect to. */
  endpoints: { brokerFrontend: string; proxyXpub: string };
  /** CURVE client options for both (`--secure`: secure.ts), else NULL. */
  security?: SocketOptions;
  log?: Logger;
  clock?: LamportClock;
  /** ms to wait for one reply (default 2000). */
  timeoutMs?: number;
  /** Extra attempts after the first (default 2). */
  retries?: number;
  /** Called for every delivery on a topic this session listens to. */
  onDelivery?: (d: Delivery) => void;
  /** Called after each request: a server answered (`true`), or none did (`false`, with why). */
  onReach?: (ok: boolean, why?: string) => void;
}

/** True for a login refusal that a password would answer (the texts of shared/server/owned-names.ts). */
export function needsPassword(e: unknown): boolean {
  return e instanceof ClientError && e.code === "refused" && /is registered: log in with its password|wrong password for/.test(e.message);
}

export class ChatSession {
  readonly user: string;
  readonly clock: LamportClock;
  /** Joined channels, in join order; the last one is current. */
  readonly joined: string[] = [];
  /** Last known lists, for completion and name resolution. */
  readonly knownUsers = new Set<string>();
  readonly knownChannels = new Set<string>();
  private readonly rpc: RpcClient;
  /** A second request socket for background traffic (presence, probes), so it never holds up a command. */
  private bg: RpcClient | null = null;
  private readonly channelListeners = new Set<() => void>();
  private readonly sub: Feed;
  /** Extension topics (`$…`) and their handlers. */
  private readonly extensions: TopicRoutes<(payload: unknown) => void>;
  /** The password the next login sends, if any. */
  private password: string | undefined;
  /** The session token the last login answered (owned names), sent on publish, message and history. */
  private token: string | null = null;
  /** Subscribed to the user's own topic (once, at the first login). */
  private subscribedOwn = false;
  private readonly own: OwnPosts;
  private readonly log?: Logger;
  private readonly onDelivery: (d: Delivery) => void;
  private closed = false;

  constructor(private readonly opts: SessionOptions) {
    this.user = opts.user;
    this.own = new OwnPosts(opts.user);
    this.clock = opts.clock ?? new LamportClock();
    this.log = opts.log;
    this.onDelivery = opts.onDelivery ?? (() => {});
    this.password = opts.password;
    this.sub = new Feed(opts.endpoints.proxyXpub, (parts) => this.received(parts), (e) => {
      if (!this.closed) this.log?.error(`subscription ended: ${(e as Error)?.message ?? e}`, this.clock.value);
    }, opts.security);
    this.extensions = new TopicRoutes(this.sub);
    this.rpc = new RpcClient({
      endpoint: opts.endpoints.brokerFrontend,
      clock: this.clock,
      peerName: "broker",
      log: this.log,
      timeoutMs: opts.timeoutMs ?? 2000,
      retries: opts.retries ?? 2,
      security: opts.security,
    });
  }

  /** Whether the SUB socket has the proxy connected. */
  get proxyConnected(): boolean {
    return this.sub.connected;
  }

  /** The current channel (the last joined), if any. */
  get current(): string | undefined {
    return this.joined[this.joined.length - 1];
  }

  /** Sets the password the next login sends (e.g. asked for after a refusal that {@link needsPassword}). */
  setPassword(password: string | undefined): void {
    this.password = password;
  }

  /** Whether the last login answered a session token (the name is registered and this session holds it). */
  get authenticated(): boolean {
    return this.token !== null;
  }

  /**
   * Subscribes to the user's own topic, then logs in. Waits (bounded) for
   * the SUB socket to reach the proxy first, so early deliveries are not
   * lost. With a password, the subscription waits for the login instead:
   * a token it answers is the subscription's PLAIN credential.
   */
  async login(): Promise<void> {
    // Tried again after a failure: the socket is connected (and reconnects) already.
    if (!this.sub.started && this.password === undefined) this.sub.connect(null);
    if (!this.subscribedOwn) {
      this.sub.subscribe(this.user);
      this.subscribedOwn = true;
    }
    const reply = await this.request("login", this.password === undefined ? { user: this.user } : { user: this.user, password: this.password });
    const token = reply.data.token;
    this.token = typeof token === "string" && token.length > 0 ? token : null;
    this.sub.connect(this.token ? { user: this.user, token: this.token } : null);
    this.knownUsers.add(this.user);
    await this.waitConnected(2000);
  }

  /** The token field for a request acting as this user (none without a session token). */
  private auth(): { token?: string } {
    return this.token ? { token: this.token } : {};
  }

  /** Joins a channel, creating it if needed; it becomes current. Returns whether it was created. */
  async join(channel: string): Promise<boolean> {
    // Known to exist (channels are never removed): no request, and no refusal in the log.
    if (this.knownChannels.has(channel)) {
      this.listen(channel);
      return false;
    }
    let created = true;
    try {
      await this.request("channel", { channel });
    } catch (e) {
      if (!(e instanceof ClientError) || (e.code !== "refused" && e.code !== "unsupported")) throw e;
      // Refused: fine if it exists already (or a retried request created it, or the server has no `channel`).
      const list = await this.channels();
      if (!list.includes(channel)) throw e;
      created = false;
    }
    this.listen(channel);
    return created;
  }

  /** Joins a channel known to exist, without asking the server; it becomes current. */
  listen(channel: string): void {
    this.knownChannels.add(channel);
    const i = this.joined.indexOf(channel);
    if (i >= 0) this.joined.splice(i, 1);
    else this.sub.subscribe(channel);
    this.joined.push(channel);
    if (i < 0) this.channelsChanged();
  }

  /** Leaves a joined channel (default the current one); returns its name. */
  leave(channel = this.current): string {
    if (channel === undefined) throw new ClientError("state", "not in a channel; /join one first");
    const i = this.joined.indexOf(channel);
    if (i < 0) throw new ClientError("state", `not in #${channel}`);
    this.joined.splice(i, 1);
    this.sub.unsubscribe(channel);
    this.channelsChanged();
    return channel;
  }

  /** Calls `fn` whenever the set of joined channels changes; returns the function that stops it. */
  onChannels(fn: () => void): () => void {
    this.channelListeners.add(fn);
    return () => void this.channelListeners.delete(fn);
  }

  /**
   * Subscribes to an extension topic (`$…`): its publications go to
   * `handler` as decoded, not through the delivery reader. Returns the
   * function that unsubscribes.
   */
  onTopic(topic: string, handler: (payload: unknown) => void): () => void {
    return this.extensions.on(topic, handler);
  }

  /** Deliveries with these ids were shown another way (a history reply): drop them if they come. */
  markSeen(ids: Iterable<string>): void {
    for (const id of ids) this.own.remember(id);
  }

  /** Whether a delivery with this id was shown already (or marked seen). */
  seenId(id: string): boolean {
    return this.own.has(id);
  }

  /** Posts to the current channel. */
  say(text: string): Promise<string> {
    const ch = this.current;
    if (ch === undefined) return Promise.reject(new ClientError("state", "not in a channel; /join #channel first"));
    return this.publish(ch, text);
  }

  /** Posts to a channel; resolves with the message id once the server stored it. */
  async publish(channel: string, text: string, id = newMessageId()): Promise<string> {
    const listening = this.joined.includes(channel);
    if (listening) this.own.sending(id, channel, text);
    let reply: Envelope;
    try {
      reply = await this.request("publish", { user: this.user, channel, message: text, id, ...this.auth() });
    } catch (e) {
      this.own.failed(id);
      throw e;
    }
    // Show our own post at once: a subscription made just before may not
    // have reached the publishers yet, and then its delivery never comes.
    // Whichever of the two arrives first is shown; the other is dropped by id.
    if (listening && this.own.acknowledged(id, channel, text)) {
      const timestamp = readTimestamp(reply.data.timestamp) ?? Date.now();
      this.onDelivery({ kind: "channel", channel, user: this.user, text, timestamp, clock: readClock(reply.data.clock) ?? 0, id });
    }
    return id;
  }

  /** Sends a private message; resolves with its id once the server stored it. */
  async message(dst: string, text: string, id = newMessageId()): Promise<string> {
    await this.request("message", { src: this.user, dst, message: text, id, ...this.auth() });
    this.knownUsers.add(dst);
    return id;
  }

  async users(): Promise<string[]> {
    const r = await this.request("users");
    const list = stringList("users", r.data.users);
    for (const u of list) this.knownUsers.add(u);
    return list;
  }

  async channels(): Promise<string[]> {
    const r = await this.request("channels");
    const list = stringList("channels", r.data.channels);
    for (const c of list) this.knownChannels.add(c);
    return list;
  }

  /** Last `limit` messages of a channel or of the conversation with a user, oldest first. */
  async history(target: HistoryTarget, limit = HISTORY_DEFAULT_LIMIT): Promise<Delivery[]> {
    return (await this.historyPage(target, limit)).messages;
  }

  /**
   * The `limit` messages before `before` (a message id or clock; default
   * the latest), oldest first; `more` when the page came back full, so
   * older ones may exist.
   */
  async historyPage(target: HistoryTarget, limit: number, before?: string | number): Promise<{ messages: Delivery[]; more: boolean }> {
    const q = "channel" in target ? { channel: target.channel } : { user: this.user, peer: target.user, ...this.auth() };
    const r = await this.request("history", before === undefined ? { ...q, limit } : { ...q, limit, before });
    const raw = r.data.messages;
    // No list is no answer: never shown as "0 messages".
    if (!Array.isArray(raw)) throw new ClientError("bad-reply", "history: the reply holds no list of messages");
    const place: Place = "channel" in target ? { channel: target.channel } : { me: this.user, peer: target.user };
    // A server that ignores `limit` must not make the page unbounded: keep the newest.
    const messages = raw.slice(-limit).map((m) => historyEntry(m, place)).filter((d): d is Delivery => d !== null);
    return { messages, more: raw.length >= limit };
  }

  /** Own channel posts not yet seen coming back from the proxy. */
  get outstanding(): number {
    return this.own.outstanding;
  }

  /** Resolves once every own post came back, or after `maxMs`. */
  settle(maxMs: number): Promise<void> {
    return this.own.settle(maxMs, () => this.closed);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rpc.close();
    this.bg?.close();
    this.sub.close();
    this.own.wake();
  }

  /** Sends a request; resolves with the reply, rejects ClientError on an error reply or no reply. */
  request(service: string, data: Record<string, unknown> = {}): Promise<Envelope> {
    return this.call(this.rpc, service, data);
  }

  /** A request on the background socket: one attempt, `timeoutMs` long; otherwise as {@link request}. */
  background(service: string, data: Record<string, unknown> = {}, timeoutMs?: number): Promise<Envelope> {
    this.bg ??= new RpcClient({
      endpoint: this.opts.endpoints.brokerFrontend,
      clock: this.clock,
      peerName: "broker",
      log: this.log,
      timeoutMs: timeoutMs ?? this.opts.timeoutMs ?? 2000,
      retries: 0,
      security: this.opts.security,
    });
    return this.call(this.bg, service, data, timeoutMs);
  }

  private async call(rpc: RpcClient, service: string, data: Record<string, unknown>, timeoutMs?: number): Promise<Envelope> {
    let reply: Envelope;
    try {
      reply = await rpc.request(service, data, timeoutMs);
    } catch (e) {
      if (e instanceof RpcError && e.code === "timeout") {
        const why = `${e.message} at ${this.opts.endpoints.brokerFrontend}; is a server running?`;
        this.opts.onReach?.(false, why);
        throw new ClientError("unreachable", why, { cause: e });
      }
      if (e instanceof RpcError && e.code === "closed") throw new ClientError("state", "session closed", { cause: e });
      throw new ClientError("bad-reply", (e as Error)?.message ?? String(e), { cause: e });
    }
    this.opts.onReach?.(true);
    // A flat reply carries its clock at the top level, where the RPC layer does not look.
    this.clock.merge(readClock(replyFields(reply).clock));
    const r = readReply(service, reply);
    if (!r.ok) throw new ClientError(r.unsupported ? "unsupported" : "refused", refusalText(service, r));
    return { service: reply.service, data: r.data as Envelope["data"] };
  }

  private async waitConnected(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (!this.sub.connected && !this.closed && Date.now() < deadline) await Bun.sleep(10);
  }

  /** One message from the proxy. */
  private received(parts: Buffer[]): void {
    if (parts.length !== 2) return;
    const topic = parts[0]!.toString("utf8");
    let payload: unknown;
    try {
      payload = decode(parts[1]!);
    } catch {
      this.log?.error(`undecodable publication on '${topic}' dropped`, this.clock.value);
      return;
    }
    const extension = this.extensions.get(topic);
    if (extension) return this.extension(topic, payload, extension);
    const d = parseDelivery(topic, payload, this.user);
    // Prefix matches of other topics (subscribed to `ana`, got `anabela`) and foreign payloads.
    if (!d || !this.listensTo(d, topic)) return;
    this.clock.merge(d.clock);
    this.log?.recv(`pub:${topic}`, isEnvelope(payload) ? payload : { service: "(flat)", data: payload }, this.clock.value);
    if (!this.own.delivered(d)) return;
    try {
      this.onDelivery(d);
    } catch (e) {
      this.log?.error(`showing a delivery: ${(e as Error)?.message ?? e}`, this.clock.value);
    }
  }

  private extension(topic: string, payload: unknown, handler: (payload: unknown) => void): void {
    if (!isEnvelope(payload)) return;
    this.clock.merge(readClock((payload as Envelope).data.clock));
    this.log?.recv(`pub:${topic}`, payload, this.clock.value);
    try {
      handler(payload);
    } catch (e) {
      this.log?.error(`handling '${topic}': ${(e as Error)?.message ?? e}`, this.clock.value);
    }
  }

  private channelsChanged(): void {
    for (const fn of [...this.channelListeners]) fn();
  }

  private listensTo(d: Delivery, topic: string): boolean {
    const own = d.kind === "private" || (d.kind === "line" && d.private);
    return own ? topic === this.user : this.joined.includes(topic);
  }
}

/** A list reply's names; a reply without the list is no answer. */
function stringList(what: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new ClientError("bad-reply", `${what}: the reply holds no list of ${what}`);
  return v.filter((x): x is string => typeof x === "string");
}

function isEnvelope(v: unknown): boolean {
  const e = v as { service?: unknown; data?: unknown };
  return typeof e.service === "string" && !!e.data && typeof e.data === "object";
}
