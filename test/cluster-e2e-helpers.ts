/**
 * Test harness for the cluster's control plane: asks the ref `list` and
 * every listed server its `status` peer service, polls until a condition
 * holds, and records the announcements published on topic `servers`.
 *
 * @module
 */
import { decode } from "../shared/wire/codec.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { RpcClient } from "../shared/wire/rpc-client.ts";
import { Subscriber } from "../shared/zmq/index.ts";

export interface Listed {
  name: string;
  rank: number;
  address?: string;
}

export interface Status {
  name: string;
  rank: number | null;
  coordinator: string | null;
  isCoordinator: boolean;
  offset: number;
  time: number;
  count: number;
  digest: string;
  clock: number;
}

/** Talks to the ref and to servers' peer endpoints. */
export class ControlPlane {
  readonly clock = new LamportClock();
  private readonly clients = new Map<string, RpcClient>();

  constructor(private readonly refEndpoint: string) {}

  private client(endpoint: string): RpcClient {
    let c = this.clients.get(endpoint);
    if (!c) this.clients.set(endpoint, (c = new RpcClient({ endpoint, clock: this.clock, timeoutMs: 1500, retries: 0 })));
    return c;
  }

  async list(): Promise<Listed[]> {
    return (await this.client(this.refEndpoint).request("list")).data.list as Listed[];
  }

  /** Status of every server the ref lists (servers that do not answer are left out). */
  async statuses(): Promise<Status[]> {
    const list = await this.list();
    const out = await Promise.all(
      list.map(async (s) => {
        if (!s.address) return null;
        try {
          return (await this.client(s.address).request("status")).data as unknown as Status;
        } catch {
          return null;
        }
      }),
    );
    return out.filter((s): s is Status => s !== null && typeof s.name === "string");
  }

  /** Polls `statuses()` until `pred` holds; throws with the last snapshot after `timeoutMs`. */
  async until(pred: (s: Status[]) => boolean, timeoutMs = 20_000): Promise<Status[]> {
    const deadline = Date.now() + timeoutMs;
    let last: Status[] = [];
    while (Date.now() < deadline) {
      try {
        last = await this.statuses();
        if (pred(last)) return last;
      } catch {
        // ref busy or restarting
      }
      await Bun.sleep(250);
    }
    throw new Error(`cluster never reached the expected state; last: ${JSON.stringify(last)}`);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** The live servers are exactly `names`, all agree that `coordinator` leads, and only it says so. */
export function settledOn(coordinator: string, names: string[]) {
  return (s: Status[]): boolean =>
    s.length === names.length &&
    names.every((n) => s.some((x) => x.name === n)) &&
    s.every((x) => x.coordinator === coordinator) &&
    s.filter((x) => x.isCoordinator).map((x) => x.name).join() === coordinator;
}

/** One announcement seen on topic `servers`. */
export interface Announcement {
  coordinator: string;
  clock: number;
  /** Local receive time (ms). */
  at: number;
}

/** Subscribes to `servers` through the proxy and records every announcement. */
export class AnnouncementWatcher {
  readonly seen: Announcement[] = [];
  private readonly sub = new Subscriber();

  constructor(proxyXpub: string) {
    this.sub.subscribe("servers");
    this.sub.connect(proxyXpub);
    void (async () => {
      for await (const [topic, payload] of this.sub) {
        if (topic?.toString() !== "servers" || !payload) continue;
        try {
          const m = decode(payload) as { service?: string; data?: { coordinator?: unknown; clock?: unknown } };
          if (m.service === "election" && typeof m.data?.coordinator === "string") {
            this.seen.push({ coordinator: m.data.coordinator, clock: Number(m.data.clock), at: Date.now() });
          }
        } catch {
          // not ours to judge here
        }
      }
    })();
  }

  /** Resolves with the first announcement of `coordinator` (any, if null) at index ≥ `from`. */
  async waitFor(coordinator: string | null, from = 0, timeoutMs = 20_000): Promise<Announcement> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const a = this.seen.slice(from).find((x) => coordinator === null || x.coordinator === coordinator);
      if (a) return a;
      await Bun.sleep(50);
    }
    throw new Error(`no announcement of ${coordinator} within ${timeoutMs} ms; saw ${JSON.stringify(this.seen.slice(from))}`);
  }

  close(): void {
    this.sub.close();
  }
}
