/**
 * Physical clock synchronisation between servers.
 *
 * - Peer service `clock`: `{time}`, this server's wall-clock reading.
 * - Peer service `clock-adjust` (extension): `{adjustMs, name}`; shifts
 *   this server's clock by `adjustMs` and logs it, if `name` is the
 *   coordinator this server knows (anyone else gets an error reply).
 * - Coordinator: a Berkeley round every `syncMs` (and soon after winning
 *   the election): poll every live server's `clock` with its own clock on
 *   both sides of the round trip, let {@link berkeleyRound} average the
 *   offsets, apply its own adjustment and send each server its own.
 * - Follower: after every `everyMessages` client requests handled, ask the
 *   coordinator `clock` and correct by Cristian's method. A coordinator that
 *   does not answer is reported to the election.
 *
 * @module
 */
import { offAll } from "./events.ts";
import { berkeleyRound, cristianCorrection, type ClockReading } from "../cluster/berkeley.ts";
import type { Election } from "./election.ts";
import { PeerClients } from "./peer-clients.ts";
import type { Component, ServerNode } from "./node.ts";

/** Options for {@link ClockSync}. */
export interface ClockSyncOptions {
  /** Period of the coordinator's Berkeley rounds in ms. */
  syncMs: number;
  /** Followers ask the coordinator `clock` after this many handled requests (default 10). */
  everyMessages?: number;
  /** Timeout of one `clock` poll in ms (default 1000). */
  pollTimeoutMs?: number;
}

/** Largest adjustment a server accepts in one step (one hour). */
export const MAX_ADJUST_MS = 3_600_000;

/** Keeps this server's wall clock in step with the others. */
export class ClockSync implements Component {
  private readonly syncMs: number;
  private readonly everyMessages: number;
  private readonly pollTimeoutMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private soon: ReturnType<typeof setTimeout> | null = null;
  private handled = 0;
  private asking = false;
  private inRound = false;
  private readonly clients: PeerClients;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly node: ServerNode,
    private readonly election: Election,
    opts: ClockSyncOptions,
  ) {
    this.syncMs = opts.syncMs;
    this.everyMessages = opts.everyMessages ?? 10;
    this.pollTimeoutMs = opts.pollTimeoutMs ?? 1000;
    if (!(this.syncMs > 0) || !(this.everyMessages >= 1)) throw new RangeError("syncMs and everyMessages must be positive");
    this.clients = new PeerClients(node, this.pollTimeoutMs);
  }

  start(): void {
    const { node } = this;
    this.offs.push(
      node.peerService("clock", () => ({ time: node.wall.now() })),
      node.peerService("clock-adjust", (data) => this.onAdjust(data)),
      node.events.on("handled", () => {
        if (++this.handled < this.everyMessages) return;
        this.handled = 0;
        void this.askCoordinator();
      }),
      this.election.events.on("coordinator", (coordinator) => {
        if (coordinator !== node.name) return;
        if (this.soon) clearTimeout(this.soon);
        this.soon = setTimeout(() => void this.round(), 300);
      }),
    );
    this.timer = setInterval(() => void this.round(), this.syncMs);
  }

  stop(): void {
    offAll(this.offs);
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.clients.closeAll();
  }

  private onAdjust(data: Record<string, unknown>): Record<string, unknown> {
    const { adjustMs, name } = data;
    if (typeof adjustMs !== "number" || !Number.isFinite(adjustMs) || Math.abs(adjustMs) > MAX_ADJUST_MS) {
      throw new Error(`adjustMs must be a number within ±${MAX_ADJUST_MS}`);
    }
    const coordinator = this.election.coordinator;
    if (typeof name !== "string" || name !== coordinator) {
      throw new Error(`adjustment from ${String(name)} refused: the coordinator is ${coordinator ?? "not known"}`);
    }
    this.apply(adjustMs, `Berkeley adjustment from ${name}`);
    return { offset: this.node.wall.offset };
  }

  private apply(deltaMs: number, why: string): void {
    const wall = this.node.wall;
    wall.adjust(Math.round(deltaMs)); // whole milliseconds, so timestamps stay integers
    this.node.log.info(
      `clock ${deltaMs >= 0 ? "+" : ""}${Math.round(deltaMs)} ms (${why}); offset now ${wall.offset} ms`,
      this.node.clock.value,
    );
  }

  /** One Berkeley round, if this server is the coordinator. */
  private async round(): Promise<void> {
    const { node } = this;
    if (!this.election.isCoordinator || this.inRound) return;
    this.inRound = true;
    try {
      const peers = node.livePeers.filter((p) => p.address);
      const polled = await Promise.all(
        peers.map(async (p): Promise<ClockReading | null> => {
          const sentAt = node.wall.now();
          try {
            const reply = await this.clients.get(p.name, p.address!).request("clock", {}, this.pollTimeoutMs);
            const receivedAt = node.wall.now();
            const time = reply.data.time;
            return typeof time === "number" ? { name: p.name, time, sentAt, receivedAt } : null;
          } catch {
            return null;
          }
        }),
      );
      if (!this.election.isCoordinator) return;
      const readings = polled.filter((r): r is ClockReading => r !== null);
      const result = berkeleyRound(node.name, readings);
      const offsets = result.offsets.map((o) => `${o.name} ${o.offsetMs.toFixed(1)}`).join(", ");
      const dropped = result.discarded.map((d) => `${d.name} (${d.reason})`).join(", ");
      node.log.info(
        `Berkeley round: offsets [${offsets}]${dropped ? ` dropped [${dropped}]` : ""}; average ${result.averageOffsetMs.toFixed(1)} ms`,
        node.clock.value,
      );
      for (const adj of result.adjustments) {
        if (adj.name === node.name) {
          this.apply(adj.adjustMs, "Berkeley round, own share");
          continue;
        }
        const p = peers.find((q) => q.name === adj.name)!;
        void this.clients.get(p.name, p.address!)
          .request("clock-adjust", { adjustMs: Math.round(adj.adjustMs), name: node.name }, this.pollTimeoutMs)
          .catch(() => {});
      }
    } finally {
      this.inRound = false;
    }
  }

  /** Follower: Cristian's correction against the coordinator. */
  private async askCoordinator(): Promise<void> {
    const { node, election } = this;
    const coordinator = election.coordinator;
    const address = election.coordinatorAddress();
    if (this.asking || coordinator === null || coordinator === node.name || !address) return;
    this.asking = true;
    try {
      const sentAt = node.wall.now();
      let time: unknown;
      try {
        time = (await this.clients.get(coordinator, address).request("clock", {}, this.pollTimeoutMs)).data.time;
      } catch {
        election.coordinatorUnreachable();
        return;
      }
      const receivedAt = node.wall.now();
      const c = cristianCorrection({ sentAt, receivedAt, time: time as number }, { maxRttMs: 200 });
      if (!c.ok) {
        node.log.info(`clock reading from ${coordinator} not used: ${c.reason}`, node.clock.value);
        return;
      }
      this.apply(c.deltaMs, `Cristian against ${coordinator}, rtt ${c.rttMs} ms`);
    } finally {
      this.asking = false;
    }
  }
}
