/**
 * The server's client services, independent of sockets: one entry each in
 * a {@link ServiceTable}, run by the request runner (wire/runner.ts).
 *
 * `handle(raw)` takes a decoded request and returns the reply, the
 * publications to make and the records it stored (for replication). It
 * never throws: bad input, unknown services, server-to-server services sent
 * by a client and storage failures all become `erro` replies.
 *
 * Lamport: the runner merges the request's clock; a write ticks once for the
 * event (the stored record and its publication carry that clock), and every
 * reply ticks again, so a reply's clock is always above the request's.
 *
 * Rules beyond the contract: `publish` needs `user` to have logged in once,
 * `message` needs both `src` and `dst`; a publish/message repeating a
 * client `id` already stored is answered OK again without storing or
 * publishing anything.
 *
 * Extensions beside the contract's services: `presence` and `names`
 * (presence-service.ts), answered from memory, never stored; owned names
 * (owned-names.ts): `login` with a `password`, `token` on publish, message
 * and private history, and `session`. A login with a password needs its
 * asynchronous password check first (`check`), whose result `handle` takes;
 * every handler itself stays synchronous, so a batch of requests still
 * runs in one transaction.
 *
 * @module
 */
import type { LamportClock } from "../cluster/lamport.ts";
import { createLogger, type Logger } from "../roles/log.ts";
import type { ChatRecord, HistoryQuery, LocalRecord, Store } from "../store/store.ts";
import { CLIENT_SERVICES, okStatus, PEER_SERVICES, PRIVATE_TOPIC_PREFIX, REF_SERVICES, type Envelope } from "../wire/protocol.ts";
import { Runner, type Answer } from "../wire/runner.ts";
import { ServiceError, ServiceTable, type Fields, type RequestInfo } from "../wire/service-table.ts";
import { CONTRACT_RULES } from "../wire/validate.ts";
import { OwnedNames, type Credential } from "./owned-names.ts";
import { PresenceBoard } from "./presence-service.ts";

/** A publication: topic frame and payload map. */
export interface Delivery {
  topic: string;
  payload: Envelope;
}

export interface HandleResult extends Answer {
  deliveries: Delivery[];
  /** Records stored by this request, in order (empty for reads, errors and duplicates). */
  records: ChatRecord[];
}

export interface ChatServiceOptions {
  serverName: string;
  clock: LamportClock;
  /** Wall clock in ms (the server's synchronised clock). */
  now: () => number;
  /** Where each request and reply is logged (default: nowhere). */
  log?: Logger;
}

/** What the handlers of one request collect besides the reply. */
interface Effects {
  deliveries: Delivery[];
  records: ChatRecord[];
  /** What the password check of a login found (owned-names.ts). */
  credential?: Credential;
}

const SERVER_ONLY: ReadonlySet<string> = new Set<string>([...PEER_SERVICES, ...REF_SERVICES]);

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
 * team's subscribers read; contract readers ignore both. A private message
 * to a registered name (`ownedDst`) goes out on `$private/<dst>`, which
 * the proxy hands only to that user's authenticated subscribers.
 */
export function deliveryFor(r: ChatRecord, ownedDst = false): Delivery | null {
  if (r.kind !== "publish" && r.kind !== "message") return null;
  const data = wireMessage(r) as Envelope["data"];
  const payload = { service: r.kind, data, message: displayLine(r), timestamp: data.timestamp };
  const topic = r.kind === "publish" ? r.channel! : ownedDst ? PRIVATE_TOPIC_PREFIX + r.dst! : r.dst!;
  return { topic, payload };
}

/** The client services over a Store. */
export class ChatService {
  readonly serverName: string;
  /** Who is online now: fed by `presence` requests and the `$presence` topic. */
  readonly presence: PresenceBoard;
  private readonly store: Store;
  private readonly clock: LamportClock;
  private readonly now: () => number;
  private readonly runner: Runner<Effects>;
  private readonly owned: OwnedNames;

  constructor(store: Store, opts: ChatServiceOptions) {
    this.store = store;
    this.serverName = opts.serverName;
    this.clock = opts.clock;
    this.now = opts.now;
    const log = opts.log ?? createLogger({ role: "server", mode: "quiet" });
    this.owned = new OwnedNames({ store, log, clock: opts.clock, append: (r) => this.append(r).record });
    const table = new ServiceTable<Effects>("client", (s) =>
      SERVER_ONLY.has(s) ? `service '${s}' is only served between servers` : `unknown service '${s}'`,
    );
    const handlers: Record<(typeof CLIENT_SERVICES)[number], (d: Fields, fx: Effects, info: RequestInfo) => Fields> = {
      login: (d, fx) => this.owned.login(d.user as string, d.password as string | undefined, fx.credential, fx.records),
      users: () => ({ users: this.store.users() }),
      channel: (d, fx) => this.channel(d.channel as string, fx),
      channels: () => ({ channels: this.store.channels() }),
      publish: (d, fx, info) => this.publish(d, fx, info.seed),
      message: (d, fx) => this.message(d, fx),
      history: (d) => this.history(d),
      session: (d) => this.owned.session(d.user as string, d.token as string),
    };
    for (const name of CLIENT_SERVICES) table.add({ name, rule: CONTRACT_RULES[name], handle: handlers[name] });
    this.presence = new PresenceBoard({ clock: opts.clock, now: opts.now, hasUser: (u) => this.store.hasUser(u) });
    for (const entry of this.presence.services<Effects>()) table.add(entry);
    this.runner = new Runner({ table, clock: opts.clock, log, now: opts.now, peer: "broker" });
  }

  /** The request in a body (the frames after the envelope), or the result refusing it. */
  decode(body: Buffer[]): { raw: unknown } | { result: HandleResult } {
    const d = this.runner.decode(body);
    return "answer" in d ? { result: { ...d.answer, deliveries: [], records: [] } } : d;
  }

  /** Handles one request body that needs no {@link check}. Never throws. */
  run(body: Buffer[]): HandleResult {
    const d = this.decode(body);
    return "result" in d ? d.result : this.handle(d.raw);
  }

  /**
   * The asynchronous step a decoded request needs before `handle` (the
   * password check of a login with a password), or null for every other
   * request. Never rejects.
   */
  check(raw: unknown): Promise<Credential> | null {
    return this.owned.check(raw);
  }

  /** check + handle, for a request on its own (tests, tools). Never throws. */
  async serve(raw: unknown): Promise<HandleResult> {
    const pending = this.check(raw);
    return this.handle(raw, pending ? await pending : undefined);
  }

  /** Handles one decoded request (contract or seed dialect), given what its check found. Never throws. */
  handle(raw: unknown, credential?: Credential): HandleResult {
    const fx: Effects = { deliveries: [], records: [], credential };
    const answer = this.runner.handle(raw, fx) as Answer; // every chat handler is synchronous
    return answer.failed ? { ...answer, deliveries: [], records: [] } : { ...answer, ...fx };
  }

  /** A refusal for a request already handled (storage failed, replicas did not confirm). */
  refuse(service: string, text: string, seed: boolean): Answer {
    return this.runner.refuse(service, text, seed);
  }

  /** The bytes to send for an answer, logged as sent. */
  encode(a: Answer): Buffer {
    return this.runner.encode(a);
  }

  private channel(name: string, fx: Effects): Fields {
    if (this.store.hasChannel(name)) throw new ServiceError(`channel '${name}' already exists`);
    fx.records.push(this.append({ kind: "channel", channel: name }).record);
    return { status: okStatus("channel") };
  }

  /** A seed-dialect publish creates a missing channel: their clients never create `general`. */
  private publish(d: Fields, fx: Effects, createChannel: boolean): Fields {
    const { user, channel, message, id } = d as { user: string; channel: string; message: string; id?: string };
    this.owned.authorize(user, d.token, `publish as '${user}'`);
    const missing = !this.store.hasChannel(channel);
    if (missing && !createChannel) throw new ServiceError(`channel '${channel}' does not exist`);
    if (!this.store.hasUser(user)) throw new ServiceError(`user '${user}' is unknown (log in first)`);
    if (missing) fx.records.push(this.append({ kind: "channel", channel }).record);
    return this.write({ kind: "publish", user, channel, message, id }, fx);
  }

  private message(d: Fields, fx: Effects): Fields {
    const { src, dst, message, id } = d as { src: string; dst: string; message: string; id?: string };
    this.owned.authorize(src, d.token, `a message from '${src}'`);
    if (!this.store.hasUser(dst)) throw new ServiceError(`user '${dst}' does not exist`);
    if (!this.store.hasUser(src)) throw new ServiceError(`user '${src}' is unknown (log in first)`);
    return this.write({ kind: "message", src, dst, message, id }, fx);
  }

  /** Stores and delivers a publish/message; a repeated id is answered OK without either. */
  private write(r: Omit<LocalRecord, "timestamp" | "clock">, fx: Effects): Fields {
    if (r.id === undefined) delete r.id;
    const { record, duplicate } = this.append(r);
    if (!duplicate) {
      fx.records.push(record);
      fx.deliveries.push(deliveryFor(record, record.kind === "message" && this.owned.owned(record.dst!))!);
    }
    return { status: "OK", id: record.id };
  }

  private history(d: Fields): Fields {
    const q: HistoryQuery = d.channel !== undefined ? { channel: d.channel as string } : { user: d.user as string, peer: d.peer as string };
    if ("channel" in q) {
      if (!this.store.hasChannel(q.channel)) throw new ServiceError(`channel '${q.channel}' does not exist`);
    } else {
      this.owned.authorize(q.user, d.token, `the private history of '${q.user}'`);
      for (const u of [q.user, q.peer]) if (!this.store.hasUser(u)) throw new ServiceError(`user '${u}' does not exist`);
    }
    const before = d.before as string | number | undefined;
    if (typeof before === "string" && !this.store.get(before)) throw new ServiceError(`unknown message id '${before}'`);
    return { status: "OK", messages: this.store.history(q, d.limit as number, before).map(wireMessage) };
  }

  /** Stores a local record stamped with the server's time and a fresh event clock. */
  private append(r: Omit<LocalRecord, "timestamp" | "clock">) {
    return this.store.appendLocal({ ...r, timestamp: this.now(), clock: this.clock.tick() } as LocalRecord);
  }
}
