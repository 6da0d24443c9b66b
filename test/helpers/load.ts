/**
 * Test harness: a bot-like load generator over our own transport. Each
 * worker logs in, then publishes to a channel (and now and then sends a
 * private message) with client-generated ids, retrying a failed or
 * timed-out request with the same id, and records every id the cluster
 * acknowledged with OK. `stop()` ends the loop and resolves once every
 * worker is idle.
 *
 * @module
 */
import type { Cluster } from "./cluster.ts";
import type { TestClient } from "./chat-client.ts";
import { eventually } from "./eventually.ts";
import type { Conversation } from "./replicas.ts";

export interface LoadOptions {
  workers?: number;
  channel?: string;
  /** Per-request timeout in ms (default 2000). */
  timeoutMs?: number;
  /** Pause between requests of one worker in ms (default 0). */
  pauseMs?: number;
}

export class Load {
  /** Ids acknowledged with OK. */
  readonly acked = new Set<string>();
  /** Replies that were `erro`, and requests that timed out. */
  errors = 0;
  timeouts = 0;
  private running = true;
  private done: Promise<void>[] = [];
  private clients: TestClient[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly tag: string,
    private readonly opts: LoadOptions = {},
  ) {}

  /** Creates the channel and starts the workers. */
  async start(): Promise<this> {
    const setup = this.cluster.client(this.opts.timeoutMs ?? 2000);
    await retry(() => setup.request("channel", { channel: this.channel }), (r) => r.data.status === "sucesso" || /exists/.test(String(r.data.description)));
    for (const user of this.users) {
      const c = this.cluster.client(this.opts.timeoutMs ?? 2000);
      this.clients.push(c);
      this.done.push(this.worker(c, user, this.channel));
    }
    return this;
  }

  get channel(): string {
    return this.opts.channel ?? "load";
  }

  /** The workers' user names. */
  get users(): string[] {
    return Array.from({ length: this.opts.workers ?? 2 }, (_, w) => `${this.tag}w${w}`);
  }

  /** Where the acknowledged messages are listed: the channel and each worker's messages to itself. */
  get conversations(): Conversation[] {
    return [{ channel: this.channel }, ...this.users.map((u) => ({ user: u, peer: u }))];
  }

  /** Number of acknowledged messages so far. */
  get count(): number {
    return this.acked.size;
  }

  /** Resolves once at least `n` messages were acknowledged (or throws after `timeoutMs`). */
  async until(n: number, timeoutMs = 20_000): Promise<void> {
    await eventually(
      () => {
        if (this.acked.size < n) throw new Error(`only ${this.acked.size} acknowledged (errors ${this.errors}, timeouts ${this.timeouts})`);
      },
      { timeoutMs, intervalMs: 50, what: `${n} messages acknowledged` },
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }

  private async worker(c: TestClient, user: string, channel: string): Promise<void> {
    await retry(() => c.request("login", { user }), (r) => r.data.status === "sucesso", () => this.running);
    let n = 0;
    while (this.running) {
      const id = `${user}-${n++}`;
      const dm = n % 5 === 0;
      // Retry the same id until it is acknowledged: the cluster deduplicates it.
      for (let attempt = 0; this.running || attempt === 0; attempt++) {
        try {
          const r = dm
            ? await c.request("message", { src: user, dst: user, message: `dm ${id}`, id })
            : await c.request("publish", { user, channel, message: `msg ${id}`, id });
          if (r.data.status === "OK") {
            this.acked.add(id);
            break;
          }
          this.errors++;
        } catch {
          this.timeouts++;
        }
        await Bun.sleep(50);
        if (attempt > 200) break;
      }
      if (this.opts.pauseMs) await Bun.sleep(this.opts.pauseMs);
    }
  }
}

/** Repeats `f` until `ok(result)` (or `go()` turns false); a timeout counts as a failure. */
function retry<T>(f: () => Promise<T>, ok: (r: T) => boolean, go: () => boolean = () => true): Promise<void> {
  return eventually(
    async () => {
      if (!go()) return;
      const r = await f();
      if (!ok(r)) throw new Error(JSON.stringify(r));
    },
    { timeoutMs: 30_000, intervalMs: 50, what: "a set-up request succeeding" },
  );
}
