/**
 * The Bully election, wired to real sockets: drives the pure {@link Bully}
 * state machine from a timer, the ref's list, the `election` peer service
 * and the `servers` topic, and carries out its actions.
 *
 * - Peer service `election`: answered `{election: "OK"}` unless the asker
 *   (its name in `data.name`, an extension; foreign servers may omit it)
 *   outranks us, in which case the reply is an error.
 * - Topic `servers`: `{service: "election", data: {coordinator}}` feeds
 *   `onAnnouncement`; the winner publishes it, and repeats it periodically.
 * - Detection: the coordinator not answering the `clock` request every
 *   follower sends it every `watchMs` (the fast path: a dead coordinator is
 *   noticed within about a second, long before the ref drops it), missing
 *   from the ref's list (confirmed by asking it `clock` directly, so a
 *   restarted ref that has not yet heard from everyone does not cause an
 *   election), or `coordinatorUnreachable()` called by whoever failed to
 *   reach it (clock sync).
 * - Quorum: the role is taken and kept only while a majority of the ref's
 *   list is heard from, or all of it once the ref stops answering
 *   (`hasQuorum`).
 *
 * The first election waits one membership period after the first list, so
 * that the servers started together have registered and the PUB socket is
 * connected to the proxy when the winner announces.
 *
 * @module
 */
import { Bully, type BullyAction } from "../cluster/bully.ts";
import { TOPIC_SERVERS } from "../wire/protocol.ts";
import type { Membership } from "./membership.ts";
import type { Component, PeerInfo, ServerNode } from "./node.ts";
import { Events, offAll } from "./events.ts";
import { PeerClients } from "./peer-clients.ts";

/** Options for {@link Election}; all in ms. */
export interface ElectionOptions {
  /** How often the state machine is ticked (default 100). */
  tickMs?: number;
  /** How long to wait for an OK after sending `election` (default 1000). */
  electionTimeoutMs?: number;
  /** After an OK, how long to wait for the winner's announcement (default 3000). */
  announceTimeoutMs?: number;
  /** The coordinator repeats its announcement this often (default 5000). */
  reannounceMs?: number;
  /** Delay before the first election, after the first list (default: the membership period). */
  settleMs?: number;
  /** Followers ask the coordinator `clock` this often to see it is alive (default 500; 0: off). */
  watchMs?: number;
  /** How long such a probe may take before the coordinator counts as gone (default 700). */
  watchTimeoutMs?: number;
  /**
   * A peer counts toward the majority if it was heard from within this many
   * ms; the ref's list counts as fresh this long, or three membership
   * periods if longer (default 3000).
   */
  quorumWindowMs?: number;
}

/** Runs this server's part of the Bully election. */
export class Election implements Component {
  private bully: Bully | null = null;
  private listed = false;
  private readyAt = Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;
  private probing = false;
  private watching = false;
  private nextWatch = 0;
  private readonly clients: PeerClients;
  /** The liveness probe's own clients, so a probe never waits behind an election request. */
  private readonly watchClients: PeerClients;
  private readonly opts: Required<ElectionOptions>;
  /** `coordinator` after each change of coordinator, with the new one's name (null: none, we stepped down) and the previous one's. */
  readonly events = new Events<{ coordinator: [string | null, string | null] }>();
  private readonly offs: (() => void)[] = [];
  /** When each peer was last heard from: a request it sent us, or an answer to ours. */
  private readonly heard = new Map<string, number>();
  /** When the ref last gave us its list. */
  private listedAt = -Infinity;

  constructor(
    private readonly node: ServerNode,
    private readonly membership: Membership,
    opts: ElectionOptions = {},
  ) {
    this.opts = {
      tickMs: opts.tickMs ?? 100,
      electionTimeoutMs: opts.electionTimeoutMs ?? 1000,
      announceTimeoutMs: opts.announceTimeoutMs ?? 3000,
      reannounceMs: opts.reannounceMs ?? 5000,
      settleMs: opts.settleMs ?? membership.heartbeatMs,
      watchMs: opts.watchMs ?? 500,
      watchTimeoutMs: opts.watchTimeoutMs ?? 700,
      quorumWindowMs: opts.quorumWindowMs ?? 3000,
    };
    this.clients = new PeerClients(node, this.opts.electionTimeoutMs);
    this.watchClients = new PeerClients(node, this.opts.watchTimeoutMs);
  }

  /** The current coordinator's name, or null while none is known. */
  get coordinator(): string | null {
    return this.bully?.coordinator ?? null;
  }

  get isCoordinator(): boolean {
    return this.bully?.isCoordinator ?? false;
  }

  /** The coordinator's peer address from the ref's list, if known. */
  coordinatorAddress(): string | undefined {
    const c = this.coordinator;
    return c === null ? undefined : this.membership.list.find((p) => p.name === c)?.address;
  }

  /** Someone could not reach the coordinator: hold an election. */
  coordinatorUnreachable(): void {
    const c = this.coordinator;
    if (!this.bully || c === null || c === this.node.name) return;
    this.node.log.info(`coordinator ${c} does not answer: election`, this.node.clock.value);
    this.run(this.bully.onCoordinatorMissing(Date.now()));
  }

  start(): void {
    this.offs.push(
      this.node.peerService("election", (data) => this.onElectionRequest(data)),
      this.node.onTopic(TOPIC_SERVERS, (payload) => {
        const c = payload.data?.coordinator;
        if (payload.service !== "election" || typeof c !== "string" || c.length === 0 || c.length > 256) return;
        if (this.bully) this.run(this.bully.onAnnouncement(c, Date.now()));
      }),
      this.membership.events.on("rank", (rank) => this.onRank(rank)),
      this.membership.events.on("listed", (list) => this.onList(list)),
      this.node.events.on("peer-seen", (name) => this.heard.set(name, Date.now())),
    );
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
  }

  stop(): void {
    offAll(this.offs);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clients.closeAll();
    this.watchClients.closeAll();
  }

  private onRank(rank: number): void {
    const previous = this.bully;
    if (previous && previous.rank === rank) return;
    this.bully = new Bully({
      self: this.node.name,
      rank,
      electionTimeoutMs: this.opts.electionTimeoutMs,
      announceTimeoutMs: this.opts.announceTimeoutMs,
      reannounceMs: this.opts.reannounceMs,
      hasQuorum: (now) => this.hasQuorum(now),
    });
    if (this.listed) this.bully.setPeers(this.membership.list);
  }

  private onList(list: PeerInfo[]): void {
    this.listedAt = Date.now();
    if (!this.bully) return;
    this.bully.setPeers(list);
    if (!this.listed) {
      this.listed = true;
      this.readyAt = Date.now() + this.opts.settleMs;
    }
    const c = this.bully.coordinator;
    if (c !== null && c !== this.node.name && !list.some((p) => p.name === c)) void this.confirmMissing(c);
  }

  /** The coordinator left the ref's list: ask it directly before holding an election. */
  private async confirmMissing(coordinator: string): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const address = this.addressOf(coordinator);
      if (address) {
        try {
          const reply = await this.clients.get(coordinator, address).request("clock", {}, this.opts.electionTimeoutMs);
          if (typeof reply.data.time === "number") return; // alive; the ref just has not heard from it
        } catch {
          // no answer: gone
        }
      }
      if (this.bully && this.bully.coordinator === coordinator) {
        this.node.log.info(`coordinator ${coordinator} left the ref's list: election`, this.node.clock.value);
        this.run(this.bully.onCoordinatorMissing(Date.now()));
      }
    } finally {
      this.probing = false;
    }
  }

  /**
   * Whether this server may take or keep the coordinator role: it heard
   * (within the window) from a majority of the servers in the ref's list,
   * itself included, while that list is fresh (had from the ref within the
   * window, or three membership periods if longer). A list gone stale, the
   * ref unreachable, needs every server on it: on the ref's side of a
   * partition the ref drops the servers it cannot hear, so the list there
   * shrinks to that side (one server cut off with the ref is a majority of
   * one), while the other side keeps the full list it had and could count
   * a majority of that too. So the side with the ref decides, the other
   * takes no coordinator, and with the ref down a coordinator that still
   * hears from every server keeps its role.
   */
  private hasQuorum(now: number): boolean {
    const others = this.membership.list.filter((p) => p.name !== this.node.name);
    const heard = others.filter((p) => now - (this.heard.get(p.name) ?? -Infinity) <= this.opts.quorumWindowMs).length;
    const stale = now - this.listedAt > Math.max(this.opts.quorumWindowMs, 3 * this.membership.heartbeatMs);
    if (stale) return heard === others.length;
    return 1 + heard > (others.length + 1) / 2;
  }

  /** Asks every known peer `clock` so that the next election knows who is there. */
  private gatherVotes(): void {
    for (const p of this.membership.list) {
      if (p.name === this.node.name || !p.address) continue;
      this.clients
        .get(p.name, p.address)
        .request("clock", { name: this.node.name }, this.opts.electionTimeoutMs)
        .then(() => this.heard.set(p.name, Date.now()))
        .catch(() => {});
    }
  }

  private tick(): void {
    if (!this.bully || !this.listed || Date.now() < this.readyAt) return;
    this.run(this.bully.tick(Date.now()));
    if (this.opts.watchMs > 0 && Date.now() >= this.nextWatch) void this.watch();
  }

  /** A follower's liveness probe of the coordinator; no answer in time holds an election. */
  private async watch(): Promise<void> {
    const c = this.bully?.coordinator;
    if (this.watching || !c || c === this.node.name || this.bully?.state !== "idle") return;
    const address = this.addressOf(c);
    if (!address) return;
    this.watching = true;
    this.nextWatch = Date.now() + this.opts.watchMs;
    try {
      await this.watchClients.get(c, address).request("clock", { name: this.node.name });
      this.heard.set(c, Date.now());
    } catch {
      if (this.bully?.coordinator === c) this.coordinatorUnreachable();
    } finally {
      this.watching = false;
    }
  }

  private onElectionRequest(data: Record<string, unknown>): Record<string, unknown> {
    if (!this.bully) throw new Error("not ranked yet");
    const from = typeof data.name === "string" ? data.name : "";
    const actions = this.bully.onElectionRequest(from, Date.now());
    const ok = actions.some((a) => a.type === "reply-ok");
    // Our own election (if any) starts after the reply is on its way.
    queueMicrotask(() => this.run(actions));
    if (!ok) throw new Error(`${from} outranks ${this.node.name}`);
    return { election: "OK" };
  }

  private run(actions: BullyAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case "send-election":
          for (const name of a.to) void this.askElection(name);
          break;
        case "announce":
          this.node.publish(TOPIC_SERVERS, "election", { coordinator: a.coordinator });
          break;
        case "coordinator-changed":
          this.node.log.info(`coordinator: ${a.from ?? "none"} -> ${a.to}`, this.node.clock.value);
          this.events.emit("coordinator", a.to, a.from);
          break;
        case "reply-ok":
          break; // answered by the peer service handler
        case "no-quorum":
          this.node.log.info("would be coordinator, but no majority of the servers answers: asking who is there", this.node.clock.value);
          this.gatherVotes();
          break;
        case "stepped-down":
          this.node.log.error("coordinator without a majority of the servers (partitioned?): stepping down", this.node.clock.value);
          this.events.emit("coordinator", null, this.node.name);
          this.gatherVotes();
          break;
      }
    }
  }

  private async askElection(name: string): Promise<void> {
    const address = this.addressOf(name);
    if (!address) return;
    try {
      const reply = await this.clients.get(name, address).request("election", { name: this.node.name }, this.opts.electionTimeoutMs);
      this.heard.set(name, Date.now());
      if (reply.data.election === "OK" && this.bully) this.run(this.bully.onOk(name, Date.now()));
    } catch {
      // no answer in time: counts as no OK
    }
  }

  private addressOf(name: string): string | undefined {
    return this.membership.list.find((p) => p.name === name)?.address;
  }

}
