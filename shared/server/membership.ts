/**
 * Cluster membership: the server's side of the reference server.
 *
 * Registers with `rank` (sending its peer address), then every period sends
 * `heartbeat` and asks `list`, and hands the list to the node
 * (`node.setLivePeers`). It registers again when the ref answers that it
 * does not know this server, or answers again after being unreachable (a
 * restarted ref), so the ref restarting never stops the cluster: while the
 * ref is down the last known list stays in force.
 *
 * @module
 */
import { RpcClient } from "../wire/rpc-client.ts";
import { Events } from "./events.ts";
import type { Component, PeerInfo, ServerNode } from "./node.ts";

/** Options for {@link Membership}. */
export interface MembershipOptions {
  /** Heartbeat and list period in ms. */
  heartbeatMs: number;
}

/** Keeps this server registered with the ref and the live-peer list current. */
export class Membership implements Component {
  /** This server's rank from the ref, or null before the first registration. */
  rank: number | null = null;
  /** Every live server as last listed by the ref, this one included. */
  list: PeerInfo[] = [];
  /**
   * `listed` after each successful `list` poll (the election watches the
   * coordinator through it); `rank` once the rank is known (and again if it
   * ever changes).
   */
  readonly events = new Events<{ listed: [PeerInfo[]]; rank: [number] }>();
  private offSeen: () => void = () => {};
  readonly heartbeatMs: number;
  private ref: RpcClient | null = null;
  private registered = false;
  private reachable = true;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly node: ServerNode,
    opts: MembershipOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs;
    if (!(this.heartbeatMs > 0)) throw new RangeError("heartbeatMs must be a positive number");
  }

  start(): void {
    const timeoutMs = Math.max(200, Math.min(this.heartbeatMs, 1000));
    this.ref = new RpcClient({
      endpoint: this.node.endpoints.ref,
      clock: this.node.clock,
      peerName: "ref",
      log: this.node.log,
      timeoutMs,
      retries: 0,
      now: () => this.node.wall.now(),
      security: this.node.trust.member(),
    });
    this.running = true;
    // A server we do not list called us: it has just registered, so ask the
    // ref now rather than at the next period (its writes need our acks).
    this.offSeen = this.node.events.on("peer-seen", (name) => {
      if (!this.list.some((p) => p.name === name)) this.wake?.();
    });
    void this.loop();
  }

  stop(): void {
    this.offSeen();
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.ref?.close();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (e) {
        if (this.running) this.lost(e);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.heartbeatMs);
      });
    }
  }

  /** One period: register if needed, heartbeat, list. */
  private async step(): Promise<void> {
    const ref = this.ref!;
    const name = this.node.name;
    if (!this.registered) {
      const reply = await ref.request("rank", { user: name, address: this.node.peerAddress });
      const rank = reply.data.rank;
      if (typeof rank !== "number" || !Number.isSafeInteger(rank)) {
        throw new Error(`ref refused registration: ${String(reply.data.description ?? "no rank in reply")}`);
      }
      this.registered = true;
      this.found();
      this.node.log.info(`registered with the ref: rank ${rank}`, this.node.clock.value);
      if (rank !== this.rank) {
        this.rank = rank;
        this.events.emit("rank", rank);
      }
    } else {
      const reply = await ref.request("heartbeat", { user: name });
      this.found();
      if (reply.data.status === "erro") {
        this.node.log.info("the ref does not know this server: registering again", this.node.clock.value);
        this.registered = false;
        return this.step();
      }
    }
    const reply = await ref.request("list");
    const list = parseList(reply.data.list);
    if (!list) throw new Error("ref sent a malformed list");
    // A ref that lost us (restart, expired heartbeat) lists without us: register again next period.
    if (!list.some((p) => p.name === name)) this.registered = false;
    this.list = list;
    this.node.setLivePeers(list);
    this.events.emit("listed", list);
  }

  private found(): void {
    if (this.reachable) return;
    this.reachable = true;
    this.node.log.info("the ref answers again", this.node.clock.value);
  }

  private lost(e: unknown): void {
    this.registered = false; // a ref that comes back may have restarted: register again
    if (!this.reachable) return;
    this.reachable = false;
    this.node.log.error(`ref unreachable (${(e as Error).message}); keeping the last list`, this.node.clock.value);
  }
}

/** Validates the ref's `list` field; null if it is not a list of `{name, rank, address?}`. */
export function parseList(v: unknown): PeerInfo[] | null {
  if (!Array.isArray(v) || v.length > 10_000) return null;
  const out: PeerInfo[] = [];
  for (const e of v) {
    if (!e || typeof e !== "object") return null;
    const { name, rank, address } = e as Record<string, unknown>;
    if (typeof name !== "string" || typeof rank !== "number" || !Number.isFinite(rank)) return null;
    out.push(typeof address === "string" ? { name, rank, address } : { name, rank });
  }
  return out;
}
