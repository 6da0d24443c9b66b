/**
 * The server's client-request handlers, independent of sockets.
 *
 * `handle(raw)` takes a decoded request map and returns the reply, the
 * publications to make and the records it stored (for replication). It
 * never throws: bad input, unknown services, server-to-server services sent
 * by a client and storage failures all become `erro` replies.
 *
 * Lamport: the request's clock is merged first; a write ticks once for the
 * event (the stored record and its publication carry that clock), and every
 * reply ticks again, so a reply's clock is always above the request's.
 *
 * Rules beyond the contract: `publish` needs `user` to have logged in once,
 * `message` needs both `src` and `dst`; a publish/message repeating a
 * client `id` already stored is answered OK again without storing or
 * publishing anything.
 *
 * @module
 */
import type { LamportClock } from "../cluster/lamport.ts";
import {
  CLIENT_SERVICES,
  errorReply,
  makeReply,
  okStatus,
  type ChannelRequest,
  type ClientRequest,
  type ClientService,
  type Envelope,
  type HistoryRequest,
  type LoginRequest,
  type MessageRequest,
  type PublishRequest,
} from "../wire/protocol.ts";
import { parseRequest } from "../wire/validate.ts";
import type { ChatRecord, HistoryQuery, Store } from "../store/store.ts";

/** A publication: topic frame and payload map. */
export interface Delivery {
  topic: string;
  payload: Envelope;
}

export interface HandleResult {
  /** The service the reply answers (`"error"` for an unparsable request). */
  service: string;
  reply: Envelope;
  deliveries: Delivery[];
  /** Records stored by this request, in order (empty for reads, errors and duplicates). */
  records: ChatRecord[];
}

export interface ChatServiceOptions {
  serverName: string;
  clock: LamportClock;
  /** Wall clock in ms (the server's synchronised clock). */
  now: () => number;
}

const CLIENT: ReadonlySet<string> = new Set(CLIENT_SERVICES);

/** The wire form of a stored publish/message, as published and as listed by `history`. */
export function wireMessage(r: ChatRecord): Record<string, unknown> {
  const timestamp = Math.round(r.timestamp); // older databases hold fractional ms; integers go out
  return r.kind === "publish"
    ? { id: r.id, user: r.user, channel: r.channel, message: r.message, timestamp, clock: r.clock }
    : { id: r.id, src: r.src, dst: r.dst, message: r.message, timestamp, clock: r.clock };
}

/**
 * The line a flat-dialect subscriber prints as is: `[general] ana: hi` or
 * `[private] ana: hi`. Their clients already start the text with the
 * sender's name, which is then not repeated.
 */
export function displayLine(r: ChatRecord): string {
  const who = (r.kind === "publish" ? r.user : r.src)!;
  const text = r.message!;
  const where = r.kind === "publish" ? r.channel! : "private";
  return text.startsWith(`${who}: `) ? `[${where}] ${text}` : `[${where}] ${who}: ${text}`;
}

/**
 * The publication for a stored publish/message record; null for other
 * kinds. Beside the contract's `{service, data}` it carries a top-level
 * `message` (display line) and integer `timestamp`, which is what the seed
 * team's subscribers read; contract readers ignore both.
 */
export function deliveryFor(r: ChatRecord): Delivery | null {
  if (r.kind !== "publish" && r.kind !== "message") return null;
  const data = wireMessage(r) as Envelope["data"];
  const payload = { service: r.kind, data, message: displayLine(r), timestamp: data.timestamp };
  return { topic: (r.kind === "publish" ? r.channel : r.dst)!, payload };
}

/** How a request is served beyond the contract. */
export interface HandleOptions {
  /** A `publish` to a channel that does not exist creates it (the seed dialect's clients never create `general`). */
  createChannels?: boolean;
}

/** Request handlers over a Store. */
export class ChatService {
  readonly serverName: string;
  private store: Store;
  private clock: LamportClock;
  private now: () => number;

  constructor(store: Store, opts: ChatServiceOptions) {
    this.store = store;
    this.serverName = opts.serverName;
    this.clock = opts.clock;
    this.now = opts.now;
  }

  /** Handles one decoded request. Never throws. */
  handle(raw: unknown, opts: HandleOptions = {}): HandleResult {
    let service = "error";
    try {
      const data = raw && typeof raw === "object" ? (raw as { data?: unknown }).data : undefined;
      if (data && typeof data === "object") this.clock.merge((data as { clock?: unknown }).clock);
      const parsed = parseRequest(raw);
      if (!parsed.ok) return this.fail(parsed.service, parsed.error);
      service = parsed.req.service;
      if (!CLIENT.has(service)) return this.fail(service, `service '${service}' is only served between servers`);
      return this.dispatch(parsed.req as ClientRequest, opts);
    } catch (err) {
      return this.fail(service, `internal error: ${(err as Error)?.message ?? err}`);
    }
  }

  private dispatch(req: ClientRequest, opts: HandleOptions): HandleResult {
    switch (req.service as ClientService) {
      case "login":
        return this.login(req as LoginRequest);
      case "users":
        return this.ok("users", { users: this.store.users() });
      case "channel":
        return this.channel(req as ChannelRequest);
      case "channels":
        return this.ok("channels", { channels: this.store.channels() });
      case "publish":
        return this.publish(req as PublishRequest, opts);
      case "message":
        return this.message(req as MessageRequest);
      case "history":
        return this.history(req as HistoryRequest);
    }
  }

  private login(req: LoginRequest): HandleResult {
    const { record } = this.append({ kind: "login", user: req.data.user });
    return this.ok("login", { status: okStatus("login") }, [], [record]);
  }

  private channel(req: ChannelRequest): HandleResult {
    const name = req.data.channel;
    if (this.store.hasChannel(name)) return this.fail("channel", `channel '${name}' already exists`);
    const { record } = this.append({ kind: "channel", channel: name });
    return this.ok("channel", { status: okStatus("channel") }, [], [record]);
  }

  private publish(req: PublishRequest, opts: HandleOptions): HandleResult {
    const { user, channel, message, id } = req.data;
    const create = !this.store.hasChannel(channel);
    if (create && !opts.createChannels) return this.fail("publish", `channel '${channel}' does not exist`);
    if (!this.store.hasUser(user)) return this.fail("publish", `user '${user}' is unknown (log in first)`);
    const created = create ? [this.append({ kind: "channel", channel }).record] : [];
    const res = this.write("publish", { kind: "publish", user, channel, message, id });
    res.records.unshift(...created);
    return res;
  }

  private message(req: MessageRequest): HandleResult {
    const { src, dst, message, id } = req.data;
    if (!this.store.hasUser(dst)) return this.fail("message", `user '${dst}' does not exist`);
    if (!this.store.hasUser(src)) return this.fail("message", `user '${src}' is unknown (log in first)`);
    return this.write("message", { kind: "message", src, dst, message, id });
  }

  private write(service: "publish" | "message", r: Omit<ChatRecord, "origin" | "seq" | "id" | "timestamp" | "clock"> & { id?: string }): HandleResult {
    if (r.id === undefined) delete r.id;
    const { record, duplicate } = this.append(r);
    if (duplicate) return this.ok(service, { status: "OK", id: record.id });
    const delivery = deliveryFor(record)!;
    return this.ok(service, { status: "OK", id: record.id }, [delivery], [record]);
  }

  private history(req: HistoryRequest): HandleResult {
    const d = req.data;
    const q: HistoryQuery = "channel" in d ? { channel: d.channel } : { user: d.user, peer: d.peer };
    if ("channel" in q) {
      if (!this.store.hasChannel(q.channel)) return this.fail("history", `channel '${q.channel}' does not exist`);
    } else {
      for (const u of [q.user, q.peer]) if (!this.store.hasUser(u)) return this.fail("history", `user '${u}' does not exist`);
    }
    if (typeof d.before === "string" && !this.store.get(d.before)) {
      return this.fail("history", `unknown message id '${d.before}'`);
    }
    const messages = this.store.history(q, d.limit, d.before).map(wireMessage);
    return this.ok("history", { status: "OK", messages });
  }

  /** Stores a local record stamped with the server's time and a fresh event clock. */
  private append(r: Omit<ChatRecord, "origin" | "seq" | "id" | "timestamp" | "clock"> & { id?: string }) {
    return this.store.appendLocal({ ...r, timestamp: this.now(), clock: this.clock.tick() });
  }

  private ok(service: string, data: Record<string, unknown>, deliveries: Delivery[] = [], records: ChatRecord[] = []): HandleResult {
    return { service, reply: makeReply(service, data, this.clock.tick(), this.now), deliveries, records };
  }

  private fail(service: string, text: string): HandleResult {
    return { service, reply: errorReply(service, text, this.clock.tick(), this.now), deliveries: [], records: [] };
  }
}
