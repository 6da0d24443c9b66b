/**
 * Test harness: a minimal chat client on our own transport. A REQ socket to
 * the broker (requests stamped with `timestamp` and a Lamport `clock`, one
 * in flight) and a SUB socket to the proxy whose publications pass through
 * the exact-topic {@link TopicFilter}.
 *
 * @module
 */
import { decode, encode } from "../../shared/wire/codec.ts";
import { LamportClock } from "../../shared/cluster/lamport.ts";
import type { Envelope } from "../../shared/wire/protocol.ts";
import { eventually } from "./eventually.ts";
import type { RoleProcess } from "./process.ts";
import { TopicFilter, type Publication } from "./topic-filter.ts";
import { Request, Subscriber, type Frame } from "../../shared/zmq/index.ts";

export type Reply = Envelope<Record<string, unknown>>;

export class TestClient {
  readonly clock = new LamportClock();
  readonly filter = new TopicFilter();
  /** Publications accepted by the filter, in arrival order. */
  readonly deliveries: Publication[] = [];
  /** Topic frame of every message the SUB socket received, accepted or not. */
  readonly receivedTopics: string[] = [];
  private req: Request | null = null;
  private sub: Subscriber | null = null;
  private waiters: { pred: (p: Publication) => boolean; resolve: (p: Publication) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly frontend: string,
    readonly xpub: string,
    readonly timeoutMs = 5000,
  ) {}

  /** Sends `{service, data + timestamp + clock}` and resolves with the reply. */
  request(service: string, data: Record<string, unknown> = {}): Promise<Reply> {
    const body = () => encode({ service, data: { ...data, timestamp: Date.now(), clock: this.clock.tick() } });
    return this.serial(() => this.roundTrip([body()]));
  }

  /** Sends arbitrary body frames (after the REQ delimiter) and resolves with the decoded reply. */
  requestRaw(frames: Frame[]): Promise<Reply> {
    return this.serial(() => this.roundTrip(frames));
  }

  /** Subscribes to topics (the socket by prefix, the filter exactly). */
  subscribe(...topics: string[]): void {
    const sub = this.subscriber();
    for (const t of topics) {
      this.filter.add(t);
      sub.subscribe(t);
    }
  }

  /** Resolves with the first accepted publication (past or future) satisfying `pred`. */
  waitDelivery(pred: (p: Publication) => boolean = () => true, timeoutMs = this.timeoutMs): Promise<Publication> {
    const seen = this.deliveries.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (p: Publication) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching delivery within ${timeoutMs} ms; got topics ${JSON.stringify(this.receivedTopics)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /**
   * Makes sure every earlier `subscribe` has reached the server: logs in
   * `user`, subscribes to its topic last, and sends it private messages
   * until one comes back. Subscriptions travel in order, so once this one
   * works, the earlier ones do too (on the server that answered).
   */
  async sync(user: string, timeoutMs = 15_000): Promise<void> {
    const login = await this.request("login", { user });
    if (login.data.status !== "sucesso") throw new Error(`sync login failed: ${JSON.stringify(login.data)}`);
    this.subscribe(user);
    let i = 0;
    await eventually(
      async () => {
        const text = `sync ${i++}`;
        const r = await this.request("message", { src: user, dst: user, message: text });
        if (r.data.status !== "OK") throw new Error(`sync message failed: ${JSON.stringify(r.data)}`);
        await this.waitDelivery((p) => p.topic === user && p.payload.data.message === text, 500);
      },
      { timeoutMs, intervalMs: 0, what: `the subscription for ${user} taking effect` },
    );
  }

  /**
   * Posts `warm-up <n>` to `channel` as `user` until `reader` (a client
   * process) shows one: a subscription takes effect some time after /join
   * (ZeroMQ's slow joiner), so once a post shows, it is live.
   */
  async warmUp(reader: Pick<RoleProcess, "waitFor">, user: string, channel: string, timeoutMs = 15_000): Promise<void> {
    const shown = new RegExp(`\\[#${channel}\\] ${user}: warm-up \\d+$`);
    let i = 0;
    await eventually(
      async () => {
        await this.request("publish", { user, channel, message: `warm-up ${i++}` });
        await reader.waitFor(shown, 200);
      },
      { timeoutMs, intervalMs: 0, what: `a post in #${channel} shown` },
    );
  }

  close(): void {
    this.closed = true;
    this.req?.close();
    this.sub?.close();
    this.req = this.sub = null;
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.chain.then(f, f);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async roundTrip(frames: Frame[]): Promise<Reply> {
    if (this.closed) throw new Error("client closed");
    if (!this.req) {
      this.req = new Request({ receiveTimeout: this.timeoutMs, sendTimeout: this.timeoutMs, linger: 0 });
      this.req.connect(this.frontend);
    }
    const req = this.req;
    try {
      await req.send(frames);
      const parts = await req.receive();
      if (parts.length !== 1) throw new Error(`reply has ${parts.length} frames`);
      const reply = decode(parts[0]!) as Reply;
      this.clock.merge(reply?.data?.clock);
      return reply;
    } catch (e) {
      // A REQ that missed its reply cannot send again: start over next time.
      req.close();
      if (this.req === req) this.req = null;
      throw e;
    }
  }

  private subscriber(): Subscriber {
    if (this.sub) return this.sub;
    const sub = new Subscriber({ receiveHighWaterMark: 100_000 });
    sub.connect(this.xpub);
    this.sub = sub;
    void (async () => {
      try {
        for await (const frames of sub) {
          this.receivedTopics.push(frames[0]?.toString("utf8") ?? "");
          const pub = this.filter.accept(frames);
          if (!pub) continue;
          this.deliveries.push(pub);
          for (const w of [...this.waiters]) {
            if (w.pred(pub)) {
              this.waiters = this.waiters.filter((x) => x !== w);
              w.resolve(pub);
            }
          }
        }
      } catch {
        // socket closed
      }
    })();
    return sub;
  }
}
