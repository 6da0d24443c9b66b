/**
 * One logged-in chat user over the wire: requests through the broker
 * (RpcClient: timeout, retry on a fresh socket, Lamport stamping, logging)
 * and deliveries from the proxy (a SUB socket, topics compared exactly,
 * Lamport clock merged, duplicates by id dropped). Reads other teams'
 * servers too: flat replies and deliveries, any status spelling, our own
 * posts coming back without an id. Shared by the interactive client and
 * the bot; knows nothing about terminals.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { decode } from "../wire/codec.ts";
import { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import { HISTORY_DEFAULT_LIMIT, type Envelope } from "../wire/protocol.ts";
import { RpcClient, RpcError } from "../wire/rpc-client.ts";
import { readClock, readTimestamp } from "../wire/tolerant.ts";
import { Subscriber } from "../zmq/index.ts";
import { historyEntry, isOwnPost, parseDelivery, type Delivery, type Place } from "./delivery.ts";
import type { HistoryTarget } from "./commands.ts";
import { readReply, refusalText, replyFields } from "./replies.ts";

/** The one error this layer throws: a refused request, or no server reachable. */
export class ClientError extends Error {
  override name = "ClientError";
  constructor(
    /** `unsupported`: the server refused because it does not offer the service. */
    readonly code: "refused" | "unsupported" | "unreachable" | "bad-reply" | "state",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SessionOptions {
  user: string;
  /** Broker frontend (REQ) and proxy XPUB (SUB) endpoints to connect to. */
  endpoints: { brokerFrontend: string; proxyXpub: string };
  log?: Logger;
  clock?: LamportClock;
  /** ms to wait for one reply (default 2000). */
  timeoutMs?: number;
  /** Extra attempts after the first (default 2). */
  retries?: number;
  /** Called for every delivery on a topic this session listens to. */
  onDelivery?: (d: Delivery) => void;
}

/** How many delivery ids are remembered to drop duplicates. */
const SEEN_IDS = 2000;
/** Own posts shown from the ack whose delivery may still come back without an id: how many, and for how long. */
const ECHOED_MAX = 200;
const ECHOED_MS = 30_000;

/** One of our own posts, to recognise it when a server sends it back without our id. */
interface OwnPost {
  channel: string;
  text: string;
}

/** A fresh message id: 16 hex digits. */
export function newMessageId(): string {
  return randomBytes(8).toString("hex");
}

/** SUB socket that can tell whether it has a publisher (the proxy) connected. */
class ChatSubscriber extends Subscriber {
  get connected(): boolean {
    return this.peers.length > 0;
  }
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
  private readonly sub = new ChatSubscriber({ receiveHighWaterMark: 10_000, linger: 0 });
  private readonly seen = new Set<string>();
  /** Own posts sent and not yet shown, by id. */
  private readonly pending = new Map<string, OwnPost>();
  /** Own posts shown from the ack, oldest first. */
  private echoed: (OwnPost & { at: number })[] = [];
  private readonly log?: Logger;
  private readonly onDelivery: (d: Delivery) => void;
  private loop: Promise<void> | null = null;
  private closed = false;
  private settleWaiters: (() => void)[] = [];

  constructor(private readonly opts: SessionOptions) {
    this.user = opts.user;
    this.clock = opts.clock ?? new LamportClock();
    this.log = opts.log;
    this.onDelivery = opts.onDelivery ?? (() => {});
    this.rpc = new RpcClient({
      endpoint: opts.endpoints.brokerFrontend,
      clock: this.clock,
      peerName: "broker",
      log: opts.log,
      timeoutMs: opts.timeoutMs ?? 2000,
      retries: opts.retries ?? 2,
    });
  }

  /** The current channel (the last joined), if any. */
  get current(): string | undefined {
    return this.joined[this.joined.length - 1];
  }

  /**
   * Subscribes to the user's own topic, then logs in. Waits (bounded) for
   * the SUB socket to reach the proxy first, so early deliveries are not lost.
   */
  async login(): Promise<void> {
    this.sub.connect(this.opts.endpoints.proxyXpub);
    this.sub.subscribe(this.user);
    this.loop ??= this.receiveLoop();
    await this.request("login", { user: this.user });
    this.knownUsers.add(this.user);
    await this.waitConnected(2000);
  }

  /** Joins a channel, creating it if needed; it becomes current. Returns whether it was created. */
  async join(channel: string): Promise<boolean> {
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
  }

  /** Leaves a joined channel (default the current one); returns its name. */
  leave(channel = this.current): string {
    if (channel === undefined) throw new ClientError("state", "not in a channel; /join one first");
    const i = this.joined.indexOf(channel);
    if (i < 0) throw new ClientError("state", `not in #${channel}`);
    this.joined.splice(i, 1);
    this.sub.unsubscribe(channel);
    return channel;
  }

  /** Posts to the current channel. */
  say(text: string): Promise<string> {
    const ch = this.current;
    if (ch === undefined) return Promise.reject(new ClientError("state", "not in a channel; /join #channel first"));
    return this.publish(ch, text);
  }

  /** Posts to a channel; resolves with the message id once the server stored it. */
  async publish(channel: string, text: string): Promise<string> {
    const id = newMessageId();
    const listening = this.joined.includes(channel);
    if (listening) this.pending.set(id, { channel, text });
    let reply: Envelope;
    try {
      reply = await this.request("publish", { user: this.user, channel, message: text, id });
    } catch (e) {
      this.pending.delete(id);
      this.wake();
      throw e;
    }
    // Show our own post at once: a subscription made just before may not
    // have reached the publishers yet, and then its delivery never comes.
    // Whichever of the two arrives first is shown; the other is dropped by id.
    if (listening && !this.seen.has(id)) {
      this.remember(id);
      if (this.pending.delete(id)) this.wake();
      this.echoed.push({ channel, text, at: Date.now() });
      if (this.echoed.length > ECHOED_MAX) this.echoed.shift();
      const timestamp = readTimestamp(reply.data.timestamp) ?? Date.now();
      this.onDelivery({ kind: "channel", channel, user: this.user, text, timestamp, clock: readClock(reply.data.clock) ?? 0, id });
    }
    return id;
  }

  /** Sends a private message; resolves with its id once the server stored it. */
  async message(dst: string, text: string): Promise<string> {
    const id = newMessageId();
    await this.request("message", { src: this.user, dst, message: text, id });
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
    const q = "channel" in target ? { channel: target.channel } : { user: this.user, peer: target.user };
    const r = await this.request("history", { ...q, limit });
    // No list is no answer: never shown as "0 messages".
    if (!Array.isArray(r.data.messages)) throw new ClientError("bad-reply", "history: the reply holds no list of messages");
    const place: Place = "channel" in target ? { channel: target.channel } : { me: this.user, peer: target.user };
    return r.data.messages.map((m) => historyEntry(m, place)).filter((d): d is Delivery => d !== null);
  }

  /** Own channel posts not yet seen coming back from the proxy. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Resolves once every own post came back, or after `maxMs`. */
  async settle(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.pending.size > 0 && Date.now() < deadline && !this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.settleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rpc.close();
    this.sub.close();
    this.wake();
  }

  /** Sends a request; resolves with the reply, rejects ClientError on an error reply or no reply. */
  async request(service: string, data: Record<string, unknown> = {}): Promise<Envelope> {
    let reply: Envelope;
    try {
      reply = await this.rpc.request(service, data);
    } catch (e) {
      if (e instanceof RpcError && e.code === "timeout") {
        throw new ClientError("unreachable", `${e.message}; is a server running?`, { cause: e });
      }
      if (e instanceof RpcError && e.code === "closed") throw new ClientError("state", "session closed", { cause: e });
      throw new ClientError("bad-reply", (e as Error)?.message ?? String(e), { cause: e });
    }
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

  private async receiveLoop(): Promise<void> {
    try {
      for await (const parts of this.sub) {
        if (parts.length !== 2) continue;
        const topic = parts[0]!.toString("utf8");
        let payload: unknown;
        try {
          payload = decode(parts[1]!);
        } catch {
          this.log?.error(`undecodable publication on '${topic}' dropped`, this.clock.value);
          continue;
        }
        const d = parseDelivery(topic, payload, this.user);
        // Prefix matches of other topics (subscribed to `ana`, got `anabela`) and foreign payloads.
        if (!d || !this.listensTo(d, topic)) continue;
        this.clock.merge(d.clock);
        this.log?.recv(`pub:${topic}`, isEnvelope(payload) ? payload : { service: "(flat)", data: payload }, this.clock.value);
        if (d.id !== undefined) {
          if (this.seen.has(d.id)) continue;
          this.remember(d.id);
          if (this.pending.delete(d.id)) this.wake();
        } else if (this.ownRepeat(d)) continue;
        try {
          this.onDelivery(d);
        } catch (e) {
          this.log?.error(`showing a delivery: ${(e as Error)?.message ?? e}`, this.clock.value);
        }
      }
    } catch (e) {
      if (!this.closed) this.log?.error(`subscription ended: ${(e as Error)?.message ?? e}`, this.clock.value);
    }
  }

  private listensTo(d: Delivery, topic: string): boolean {
    const own = d.kind === "private" || (d.kind === "line" && d.private);
    return own ? topic === this.user : this.joined.includes(topic);
  }

  /**
   * Recognises our own post coming back with no id (a server that keeps
   * none): one still in flight is shown now and not again from its ack; one
   * already shown from its ack is dropped.
   */
  private ownRepeat(d: Delivery): boolean {
    for (const [id, post] of this.pending) {
      if (!isOwnPost(d, this.user, post.channel, post.text)) continue;
      this.remember(id);
      this.pending.delete(id);
      this.wake();
      return false;
    }
    const now = Date.now();
    this.echoed = this.echoed.filter((e) => now - e.at < ECHOED_MS);
    const i = this.echoed.findIndex((e) => isOwnPost(d, this.user, e.channel, e.text));
    if (i < 0) return false;
    this.echoed.splice(i, 1);
    return true;
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
  }

  private wake(): void {
    const ws = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of ws) w();
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
