/**
 * Load for the cluster benchmark, over our own transport: chat clients
 * (the test harness's TestClient: a REQ to the broker) publishing to one
 * channel, closed-loop (each client sends its next publish as soon as the
 * previous one is answered) or at a fixed total rate, and subscribers on
 * the proxy that count deliveries and time each one from its send.
 * The same code drives our cluster and the reference shape.
 *
 * @module
 */
import { decode } from "../../shared/wire/codec.ts";
import { Subscriber } from "../../shared/zmq/index.ts";
import { TestClient } from "../../test/helpers/chat-client.ts";

/** Where a load goes: the broker's frontend and the proxy's XPUB. */
export interface Target {
  frontend: string;
  xpub: string;
}

/** Send times of publishes in flight, by message id (shared by publishers and subscribers). */
export class SendTimes {
  private readonly at = new Map<string, number>();
  record(id: string, t: number): void {
    this.at.set(id, t);
  }
  get(id: string): number | undefined {
    return this.at.get(id);
  }
  clear(): void {
    this.at.clear();
  }
}

/** `n` SUB sockets on one channel; counts deliveries and (when timing) their latency. */
export class Subscribers {
  received = 0;
  /** Publish→delivery latencies in ms (only while `timing`). */
  readonly latencies: number[] = [];
  timing: SendTimes | null = null;
  private readonly socks: Subscriber[] = [];
  private readonly seen: number[];

  constructor(target: Target, n: number, readonly channel: string) {
    this.seen = new Array(n).fill(0);
    for (let i = 0; i < n; i++) {
      const s = new Subscriber({ receiveHighWaterMark: 100_000 });
      s.connect(target.xpub);
      s.subscribe(channel);
      this.socks.push(s);
      void this.pump(s, i);
    }
  }

  /** True once every socket received something. */
  get allReceiving(): boolean {
    return this.seen.every((n) => n > 0);
  }

  close(): void {
    for (const s of this.socks) s.close();
  }

  private async pump(s: Subscriber, i: number): Promise<void> {
    try {
      for await (const frames of s) {
        this.received++;
        this.seen[i]!++;
        const times = this.timing;
        if (!times || frames.length !== 2 || frames[0]!.toString() !== this.channel) continue;
        const now = performance.now();
        const id = (decode(frames[1]!) as { data?: { id?: unknown } })?.data?.id;
        const sent = typeof id === "string" ? times.get(id) : undefined;
        if (sent !== undefined) this.latencies.push(now - sent);
      }
    } catch {
      // closed
    }
  }
}

/** Result of a load run. */
export interface LoadResult {
  acked: number;
  errors: number;
  seconds: number;
  /** Request→OK latencies in ms. */
  ackLatencies: number[];
}

export interface LoadSpec {
  user: string;
  channel: string;
  /** Publishing clients (each one request in flight). */
  clients: number;
  seconds: number;
  /** Total publishes per second over all clients; omitted = closed loop (as fast as answered). */
  rate?: number;
  /** Not counted: the first `warmupMs` of the run (default 1000). */
  warmupMs?: number;
  times?: SendTimes;
  tag?: string;
}

/** Runs `clients` publishers against `target`; counts OK replies after the warm-up. */
export async function runLoad(target: Target, spec: LoadSpec): Promise<LoadResult> {
  const warm = spec.warmupMs ?? 1000;
  const t0 = performance.now();
  const from = t0 + warm;
  const end = from + spec.seconds * 1000;
  const res: LoadResult = { acked: 0, errors: 0, seconds: spec.seconds, ackLatencies: [] };
  const clients = Array.from({ length: spec.clients }, () => new TestClient(target.frontend, target.xpub, 5000));
  const tag = spec.tag ?? "b";
  try {
    await Promise.all(
      clients.map(async (c, w) => {
        for (let i = 0; ; i++) {
          if (spec.rate) {
            // Message number k = i * clients + w is due at t0 + k / rate.
            const due = t0 + ((i * spec.clients + w) * 1000) / spec.rate;
            if (due >= end) break;
            const wait = due - performance.now();
            if (wait > 1) await Bun.sleep(wait);
          } else if (performance.now() >= end) break;
          const id = `${tag}${w}-${i}`;
          const sent = performance.now();
          spec.times?.record(id, sent);
          const r = await c.request("publish", { user: spec.user, channel: spec.channel, message: `bench message ${id}`, id }).catch(() => null);
          const done = performance.now();
          if (sent < from || done > end) continue;
          if (r?.data.status === "OK") {
            res.acked++;
            res.ackLatencies.push(done - sent);
          } else res.errors++;
        }
      }),
    );
  } finally {
    for (const c of clients) c.close();
  }
  return res;
}

/** Logs `user` in and creates `channel` (an existing one is fine). */
export async function setupChat(target: Target, user: string, channel: string, rounds = 1): Promise<void> {
  const c = new TestClient(target.frontend, target.xpub, 5000);
  try {
    // Without replication, each server must see the login and the channel
    // itself: repeated rounds reach every server through the round-robin.
    let done = 0;
    for (let i = 0; i < 50 + rounds; i++) {
      const a = await c.request("login", { user }).catch(() => null);
      const b = await c.request("channel", { channel }).catch(() => null);
      const ok = (r: typeof a) => r !== null && (r.data.status === "sucesso" || /exists/.test(String(r.data.description ?? r.data.message)));
      if (ok(a) && ok(b) && ++done >= rounds) return;
      if (!(ok(a) && ok(b))) await Bun.sleep(100);
    }
    throw new Error("login/channel setup failed");
  } finally {
    c.close();
  }
}

/** Publishes until every subscriber socket has received something (subscriptions took effect). */
export async function primeSubscribers(target: Target, subs: Subscribers, user: string, timeoutMs = 15_000): Promise<void> {
  const c = new TestClient(target.frontend, target.xpub, 5000);
  const deadline = Date.now() + timeoutMs;
  try {
    for (let i = 0; !subs.allReceiving; i++) {
      if (Date.now() > deadline) throw new Error("subscribers never received anything");
      await c.request("publish", { user, channel: subs.channel, message: "prime", id: `prime-${Date.now()}-${i}` }).catch(() => null);
      await Bun.sleep(50);
    }
  } finally {
    c.close();
  }
}
