/**
 * Test harness: a closed-loop load that keeps time. Each worker logs in,
 * then publishes to one channel as fast as it is answered, retrying a
 * refused or timed-out publish with the same id until it is acknowledged,
 * and records when each id was first sent and when it was acknowledged.
 * From that: acknowledgements in a time window, and the longest any
 * publish waited (first send to OK, retries included; one still waiting
 * counts up to now).
 *
 * ```ts
 * const load = await new TimedLoad(cluster.endpoint("brokerFrontend"), cluster.endpoint("proxyXpub"), { tag: "t" }).start();
 * const t0 = Date.now(); await Bun.sleep(2000);
 * load.ackedBetween(t0, Date.now()); load.longestWait(t0);
 * ```
 *
 * @module
 */
import { expect } from "bun:test";
import type { ServerStatus } from "../../shared/server/status-service.ts";
import { TestClient } from "./chat-client.ts";
import { eventually } from "./eventually.ts";
import { historyEverywhere } from "./replicas.ts";

export interface TimedLoadOptions {
  /** Prefix of user names and ids. */
  tag: string;
  workers?: number;
  channel?: string;
  /** Per-attempt timeout in ms (default 5000). */
  timeoutMs?: number;
}

/** One acknowledged publish: first sent, acknowledged (Date.now() ms). */
export interface Ack {
  id: string;
  sent: number;
  acked: number;
}

export class TimedLoad {
  readonly acks: Ack[] = [];
  readonly acked = new Set<string>();
  /** `erro` replies and timed-out attempts (each retried). */
  errors = 0;
  timeouts = 0;
  private running = false;
  private done: Promise<void>[] = [];
  private readonly clients: TestClient[] = [];
  /** Each worker's publish in progress: when it was first sent (null: none). */
  private readonly waiting: (number | null)[] = [];

  constructor(
    readonly frontend: string,
    readonly xpub: string,
    private readonly opts: TimedLoadOptions,
  ) {}

  get channel(): string {
    return this.opts.channel ?? `${this.opts.tag}-load`;
  }

  get users(): string[] {
    return Array.from({ length: this.opts.workers ?? 3 }, (_, w) => `${this.opts.tag}w${w}`);
  }

  /** Creates the channel, logs every worker in and starts publishing. */
  async start(): Promise<this> {
    const setup = this.client();
    await eventually(
      async () => {
        const r = await setup.request("channel", { channel: this.channel });
        if (r.data.status !== "sucesso" && !/exists/.test(String(r.data.description))) throw new Error(JSON.stringify(r.data));
      },
      { timeoutMs: 30_000, what: `channel ${this.channel} created` },
    );
    this.running = true;
    this.users.forEach((user, w) => {
      this.waiting.push(null);
      this.done.push(this.worker(this.client(), user, w));
    });
    return this;
  }

  /** Acknowledgements that came in `[from, to)`. */
  ackedBetween(from: number, to: number): number {
    let n = 0;
    for (const a of this.acks) if (a.acked >= from && a.acked < to) n++;
    return n;
  }

  /** The longest wait (ms) of a publish acknowledged at or after `from`, or still waiting now. */
  longestWait(from = 0, to = Infinity): number {
    let worst = 0;
    for (const a of this.acks) if (a.acked >= from && a.acked < to) worst = Math.max(worst, a.acked - a.sent);
    const now = Date.now();
    if (now < to) for (const s of this.waiting) if (s !== null) worst = Math.max(worst, now - s);
    return worst;
  }

  /** Resolves once `n` publishes in all were acknowledged. */
  async until(n: number, timeoutMs = 20_000): Promise<void> {
    await eventually(
      () => {
        if (this.acked.size < n) throw new Error(`only ${this.acked.size} acknowledged (errors ${this.errors}, timeouts ${this.timeouts})`);
      },
      { timeoutMs, intervalMs: 50, what: `${n} publishes acknowledged` },
    );
  }

  /** Stops publishing; resolves once every worker is idle (a publish under way gets its last attempt's answer). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
    for (const c of this.clients.splice(0)) c.close();
  }

  private client(): TestClient {
    const c = new TestClient(this.frontend, this.xpub, this.opts.timeoutMs ?? 5000);
    this.clients.push(c);
    return c;
  }

  private async worker(c: TestClient, user: string, w: number): Promise<void> {
    await eventually(
      async () => {
        const r = await c.request("login", { user });
        if (r.data.status !== "sucesso") throw new Error(JSON.stringify(r.data));
      },
      { timeoutMs: 30_000, what: `${user} logged in` },
    );
    for (let n = 0; this.running; n++) {
      const id = `${user}-${n}`;
      const sent = Date.now();
      this.waiting[w] = sent;
      // The same id until it is acknowledged: the cluster stores it once.
      for (let attempt = 0; attempt < 1000 && (this.running || attempt === 0); attempt++) {
        try {
          const r = await c.request("publish", { user, channel: this.channel, message: `timed ${id}`, id });
          if (r.data.status === "OK") {
            this.acked.add(id);
            this.acks.push({ id, sent, acked: Date.now() });
            break;
          }
          this.errors++;
        } catch {
          this.timeouts++;
        }
        await Bun.sleep(20);
      }
      this.waiting[w] = null;
    }
  }
}

/** A server as the closing check asks it: by name, its `status` however it is reached. */
export interface Replica {
  name: string;
  status: () => Promise<ServerStatus>;
}

/**
 * Stops the load, waits until the replicas agree (digest, count, vector) on
 * at least what was acknowledged, and expects every acknowledged id in the
 * channel's history as every server lists it (through the broker).
 * Returns the number acknowledged.
 */
export async function expectNothingLost(load: TimedLoad, replicas: Replica[], reader: TestClient, timeoutMs = 30_000): Promise<number> {
  await load.stop();
  const acked = [...load.acked];
  await eventually(
    async () => {
      const all = await Promise.all(replicas.map((r) => r.status()));
      const first = all[0]!;
      const agree = all.every((s) => s.digest === first.digest && s.count === first.count && Bun.deepEquals(s.vector, first.vector));
      if (!agree || first.count < acked.length) throw new Error(JSON.stringify(all.map((s) => ({ name: s.name, count: s.count, digest: s.digest }))));
    },
    { timeoutMs, intervalMs: 200, what: "replicas agreeing on everything acknowledged" },
  );
  const listed = new Set(await historyEverywhere(reader, { channel: load.channel }, replicas.length));
  expect(acked.filter((id) => !listed.has(id))).toEqual([]);
  return acked.length;
}
