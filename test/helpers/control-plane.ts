/**
 * Test harness: the cluster as its interfaces show it. The ref's `list`,
 * each server's `status` peer service (name, rank, address, coordinator,
 * offset, record count, version vector, digest, live peers), polling until
 * a condition holds, and the announcements published on topic `servers`.
 *
 * @module
 */
import { decode } from "../../shared/wire/codec.ts";
import { LamportClock } from "../../shared/cluster/lamport.ts";
import { parseStatus, type ServerStatus } from "../../shared/server/status-service.ts";
import { RpcClient } from "../../shared/wire/rpc-client.ts";
import { Subscriber, type SocketOptions } from "../../shared/zmq/index.ts";
import { eventually } from "./eventually.ts";

/** One entry of the ref's `list`. */
export interface Listed {
  name: string;
  rank: number;
  address?: string;
}

/** Talks to the ref and to servers' peer endpoints, one client per endpoint. */
export class ControlPlane {
  readonly clock = new LamportClock();
  private readonly clients = new Map<string, RpcClient>();

  /** `refEndpoint` is needed only for `list`, `statuses` and `until`. */
  constructor(
    private readonly refEndpoint?: string,
    private readonly timeoutMs = 1500,
    /** Socket options for the ref and the peer endpoints (the cluster's keys). */
    private readonly security: SocketOptions = {},
  ) {}

  /** The RpcClient for `endpoint` (kept until `close`). */
  client(endpoint: string): RpcClient {
    let c = this.clients.get(endpoint);
    if (!c) this.clients.set(endpoint, (c = new RpcClient({ endpoint, clock: this.clock, timeoutMs: this.timeoutMs, retries: 0, security: this.security })));
    return c;
  }

  /** The ref's list of live servers. */
  async list(): Promise<Listed[]> {
    if (!this.refEndpoint) throw new Error("no ref endpoint");
    return (await this.client(this.refEndpoint).request("list")).data.list as Listed[];
  }

  /** One server's `status`, asked on its peer endpoint; throws if it does not answer with one. */
  async status(endpoint: string, timeoutMs?: number): Promise<ServerStatus> {
    const { data } = await this.client(endpoint).request("status", {}, timeoutMs);
    const s = parseStatus(data);
    if (!s) throw new Error(`${endpoint}: not a status reply: ${JSON.stringify(data)}`);
    return s;
  }

  /** The status of every server the ref lists (servers that do not answer are left out). */
  async statuses(): Promise<ServerStatus[]> {
    const list = await this.list();
    const out = await Promise.all(list.map((s) => (s.address ? this.status(s.address).catch(() => null) : null)));
    return out.filter((s): s is ServerStatus => s !== null);
  }

  /** Polls `statuses()` until `pred` holds; throws with the last snapshot after `timeoutMs`. */
  until(pred: (s: ServerStatus[]) => boolean, timeoutMs = 20_000): Promise<ServerStatus[]> {
    return eventually(
      async () => {
        const s = await this.statuses();
        if (!pred(s)) throw new Error(JSON.stringify(s));
        return s;
      },
      { timeoutMs, intervalMs: 250, what: "the expected cluster state" },
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** The live servers are exactly `names`, all agree that `coordinator` leads, and only it says so. */
export function settledOn(coordinator: string, names: string[]) {
  return (s: ServerStatus[]): boolean =>
    s.length === names.length &&
    names.every((n) => s.some((x) => x.name === n)) &&
    s.every((x) => x.coordinator === coordinator) &&
    s.filter((x) => x.isCoordinator).map((x) => x.name).join() === coordinator;
}

/** How far apart the servers' wall-clock offsets are (ms). */
export function offsetSpread(s: ServerStatus[]): number {
  return Math.max(...s.map((x) => x.offset)) - Math.min(...s.map((x) => x.offset));
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
  private readonly sub: Subscriber;

  /** `security`: the cluster's keys (the proxy shows `servers` to members only). */
  constructor(proxyXpub: string, security: SocketOptions = {}) {
    const sub = (this.sub = new Subscriber(security));
    sub.subscribe("servers");
    sub.connect(proxyXpub);
    void (async () => {
      for await (const [topic, payload] of sub) {
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
  waitFor(coordinator: string | null, from = 0, timeoutMs = 20_000): Promise<Announcement> {
    return eventually(
      () => {
        const a = this.seen.slice(from).find((x) => coordinator === null || x.coordinator === coordinator);
        if (!a) throw new Error(`saw ${JSON.stringify(this.seen.slice(from))}`);
        return a;
      },
      { timeoutMs, intervalMs: 50, what: `an announcement of ${coordinator ?? "any coordinator"}` },
    );
  }

  close(): void {
    this.sub.close();
  }
}
