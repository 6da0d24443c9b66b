/**
 * The Bully election as a pure state machine, one instance per server.
 *
 * Events come in through methods (`onCoordinatorMissing`, `onElectionRequest`,
 * `onOk`, `onAnnouncement`) and the periodic `tick(now)`; each returns the
 * {@link BullyAction}s the caller must carry out with real sockets:
 *
 * | action | what the caller does |
 * | --- | --- |
 * | `send-election` | send the peer service `election` to each name in `to`; for each `election: "OK"` reply call `onOk(name, now)` |
 * | `reply-ok` | answer the pending `election` request from `to` with `election: "OK"` (if `onElectionRequest` returned none, answer with an error: the sender outranks us) |
 * | `announce` | publish `{service: "election", data: {coordinator}}` on topic `servers` |
 * | `coordinator-changed` | update whatever depends on the coordinator (clock sync, logs) |
 * | `no-quorum` | this server would win but does not hear from a majority: find out who is there (it tries again after `electionTimeoutMs`) |
 * | `stepped-down` | this coordinator lost its majority and gave up the role |
 *
 * Rules (highest rank wins): an election asks every higher-ranked peer; no
 * higher peer, or no OK within `electionTimeoutMs`, makes this server the
 * coordinator. An OK means a higher peer takes over: if its announcement
 * doesn't come within `announceTimeoutMs`, the election starts again (so a
 * peer that dies after answering cannot stall it). An announcement from a
 * lower-ranked peer is not accepted: it triggers a new election, which is how
 * a restarted higher-ranked server reclaims the role. The coordinator repeats
 * its announcement every `reannounceMs`, so lost announcements heal.
 *
 * Quorum (with `hasQuorum`): a server becomes and stays coordinator only
 * while it hears from a majority of the servers it knows. One cut off from
 * the rest (a network partition) steps down instead of keeping the role
 * beside the one the majority elects, so after the partition heals there
 * is one coordinator. Without a majority anywhere there is none.
 *
 * No timers inside: call `tick(now)` often (e.g. every 100 ms). Call
 * `setPeers` with the reference server's list before the first tick; a
 * server with no coordinator known starts an election on its first tick.
 * @module
 */

/** A server as the reference server lists it. */
export interface BullyPeer {
  name: string;
  rank: number;
}

/** What the caller must do after an event; see the module table. */
export type BullyAction =
  | { type: "send-election"; to: string[] }
  | { type: "reply-ok"; to: string }
  | { type: "announce"; coordinator: string }
  | { type: "coordinator-changed"; from: string | null; to: string }
  | { type: "no-quorum" }
  | { type: "stepped-down" };

/** Election state of one server. */
export type BullyState = "idle" | "electing" | "waiting-announcement";

/** Options for {@link Bully}. */
export interface BullyOptions {
  /** This server's name. */
  self: string;
  /** This server's rank from the reference server (higher wins). */
  rank: number;
  /** How long to wait for an OK after sending `election` (ms). */
  electionTimeoutMs: number;
  /** After an OK, how long to wait for the announcement (ms). */
  announceTimeoutMs: number;
  /** Coordinator repeats its announcement this often; 0 disables (default 5000). */
  reannounceMs?: number;
  /** Whether this server hears from a majority of the servers it knows now (default: always). */
  hasQuorum?: (now: number) => boolean;
}

/** Bully election state machine for one server. */
export class Bully {
  readonly self: string;
  readonly rank: number;
  #coordinator: string | null = null;
  #state: BullyState = "idle";
  #deadline = 0;
  #nextAnnounce = 0;
  #peers = new Map<string, number>();
  readonly #electionTimeout: number;
  readonly #announceTimeout: number;
  readonly #reannounce: number;
  readonly #hasQuorum: (now: number) => boolean;
  /** After a win refused for want of a majority, no new election before this. */
  #retryAt = 0;

  constructor(opts: BullyOptions) {
    this.self = opts.self;
    this.rank = opts.rank;
    this.#electionTimeout = opts.electionTimeoutMs;
    this.#announceTimeout = opts.announceTimeoutMs;
    this.#reannounce = opts.reannounceMs ?? 5000;
    this.#hasQuorum = opts.hasQuorum ?? (() => true);
  }

  /** Name of the current coordinator (may be this server), or null if none known. */
  get coordinator(): string | null {
    return this.#coordinator;
  }

  /** Where the election stands. */
  get state(): BullyState {
    return this.#state;
  }

  /** True if this server is the coordinator. */
  get isCoordinator(): boolean {
    return this.#coordinator === this.self;
  }

  /** Replace the known peers (the ref's `list`; this server's own entry is ignored). */
  setPeers(peers: readonly BullyPeer[]): void {
    this.#peers = new Map();
    for (const p of peers) if (p.name !== this.self) this.#peers.set(p.name, p.rank);
  }

  /** True if `name` is in the last peer list (or is this server). */
  knows(name: string): boolean {
    return name === this.self || this.#peers.has(name);
  }

  /**
   * The coordinator is gone (left the ref's list, or stopped answering).
   * Starts an election unless one is already under way (its timeouts
   * guarantee it finishes) or this server is itself the coordinator.
   */
  onCoordinatorMissing(now: number): BullyAction[] {
    if (this.#state !== "idle" || this.isCoordinator) return [];
    return this.startElection(now);
  }

  /**
   * Start (or restart) an election. While already `electing` this sends
   * nothing new and keeps the running deadline, so repeated calls cannot
   * postpone the outcome; in `waiting-announcement` it restarts.
   */
  startElection(now: number): BullyAction[] {
    if (this.#state === "electing") return [];
    const higher = [...this.#peers].filter(([, r]) => r > this.rank).map(([n]) => n);
    if (higher.length === 0) return this.#win(now);
    this.#state = "electing";
    this.#deadline = now + this.#electionTimeout;
    return [{ type: "send-election", to: higher }];
  }

  /**
   * A peer asked us `election`. We answer OK (and run our own election if
   * none is under way) unless the sender is known to outrank us, in which
   * case no `reply-ok` is returned and the caller answers with an error.
   */
  onElectionRequest(from: string, now: number): BullyAction[] {
    const theirs = this.#peers.get(from);
    if (theirs !== undefined && theirs > this.rank) return [];
    const out: BullyAction[] = [{ type: "reply-ok", to: from }];
    if (this.#state === "idle") out.push(...this.startElection(now));
    return out;
  }

  /** A higher peer answered our `election` with OK: wait for its announcement. */
  onOk(_from: string, now: number): BullyAction[] {
    if (this.#state !== "electing") return [];
    this.#state = "waiting-announcement";
    this.#deadline = now + this.#announceTimeout;
    return [];
  }

  /**
   * An announcement arrived on topic `servers`. Accepted unless the
   * announcer is known to rank below us; then we hold an election instead.
   * Our own announcement echoed back is ignored.
   */
  onAnnouncement(coordinator: string, now: number): BullyAction[] {
    if (coordinator === this.self) return [];
    const theirs = this.#peers.get(coordinator);
    if (theirs !== undefined && theirs < this.rank) {
      return this.#state === "idle" ? this.startElection(now) : [];
    }
    this.#state = "idle";
    return this.#setCoordinator(coordinator);
  }

  /** Advance time: fire expired timeouts and periodic duties. */
  tick(now: number): BullyAction[] {
    if (this.#state === "electing" && now >= this.#deadline) return this.#win(now);
    if (this.#state === "waiting-announcement" && now >= this.#deadline) {
      return this.startElection(now);
    }
    if (this.#state !== "idle") return [];
    const c = this.#coordinator;
    if (c === null) return now >= this.#retryAt ? this.startElection(now) : [];
    if (c === this.self) {
      if (!this.#hasQuorum(now)) {
        this.#coordinator = null;
        this.#retryAt = now + this.#electionTimeout;
        return [{ type: "stepped-down" }];
      }
      if (this.#reannounce > 0 && now >= this.#nextAnnounce) {
        this.#nextAnnounce = now + this.#reannounce;
        return [{ type: "announce", coordinator: this.self }];
      }
      return [];
    }
    // Coordinator accepted while unknown, now known to rank below us.
    const theirs = this.#peers.get(c);
    if (theirs !== undefined && theirs < this.rank) return this.startElection(now);
    return [];
  }

  #win(now: number): BullyAction[] {
    this.#state = "idle";
    if (!this.#hasQuorum(now)) {
      this.#retryAt = now + this.#electionTimeout;
      return [{ type: "no-quorum" }];
    }
    this.#nextAnnounce = now + this.#reannounce;
    return [{ type: "announce", coordinator: this.self }, ...this.#setCoordinator(this.self)];
  }

  #setCoordinator(name: string): BullyAction[] {
    const from = this.#coordinator;
    this.#coordinator = name;
    return from === name ? [] : [{ type: "coordinator-changed", from, to: name }];
  }
}
