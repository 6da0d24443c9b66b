/**
 * The acknowledgement rule, as a state machine without sockets: a local
 * write may be acknowledged to its client once at least `required` other
 * servers confirmed holding it on disk, where
 * `required = min(minReplicas, number of live peers)` (no live peer: local
 * durability suffices). Confirmations are seq ranges of this server's own
 * origin, per peer (from push acks) plus a contiguous floor per peer (from
 * the peer's version vector). A wait that is not satisfied before its
 * deadline fails with ReplicationError, so a client is told "retry" rather
 * than "OK" for a write only one disk holds.
 *
 * A wait may also ask for every live peer (`everyone`): logins and channel
 * creations use it, so the client's next request, which the broker may hand
 * to any server, finds them there. Such a wait still succeeds at its
 * deadline if the quorum was reached; a slow peer delays it, never fails it.
 *
 * Time is passed in (`now`), and `expire(now)` is called by the owner's
 * timer, so tests drive it with fake time.
 *
 * @module
 */
import { ReplicationError, type SeqRange } from "./wire.ts";

interface Waiter {
  seq: number;
  deadline: number;
  peers: Set<string>;
  everyone: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface AckTrackerOptions {
  /** Other servers that must hold a write before it is acknowledged (default 1). */
  minReplicas?: number;
  /** How long a write may wait for confirmations, in ms (default 1500). */
  timeoutMs?: number;
  /** Clock for deadlines (default Date.now). */
  now?: () => number;
}

export class AckTracker {
  readonly minReplicas: number;
  readonly timeoutMs: number;
  private readonly now: () => number;
  private live = new Set<string>();
  /** Per peer: it holds every seq up to this one (from its vector). */
  private floor = new Map<string, number>();
  /** Pending waits, ascending by seq. */
  private waiters: Waiter[] = [];

  constructor(opts: AckTrackerOptions = {}) {
    this.minReplicas = opts.minReplicas ?? 1;
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.now = opts.now ?? Date.now;
    if (!Number.isSafeInteger(this.minReplicas) || this.minReplicas < 0) throw new ReplicationError("minReplicas must be an integer ≥ 0");
    if (!(this.timeoutMs > 0)) throw new ReplicationError("timeoutMs must be positive");
  }

  /** Confirmations needed now. */
  get required(): number {
    return Math.min(this.minReplicas, this.live.size);
  }

  /** Number of waits not yet settled. */
  get pending(): number {
    return this.waiters.length;
  }

  /** Lowest seq still waiting, or undefined. */
  get lowestPending(): number | undefined {
    return this.waiters[0]?.seq;
  }

  /** The peers now live (names); waits are re-checked against the new rule. */
  setLive(names: Iterable<string>): void {
    this.live = new Set(names);
    this.settle();
  }

  /** Resolves once `seq` (of this server's origin) is held by enough peers; rejects at the deadline. */
  wait(seq: number, everyone = false): Promise<void> {
    const peers = new Set<string>();
    for (const [p, f] of this.floor) if (f >= seq) peers.add(p);
    if (peers.size >= this.wanted(everyone)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { seq, deadline: this.now() + this.timeoutMs, peers, everyone, resolve, reject };
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1]!.seq > seq) i--;
      this.waiters.splice(i, 0, w);
    });
  }

  /** `peer` holds these seqs of this server's origin. */
  ack(peer: string, ranges: SeqRange[]): void {
    if (this.waiters.length === 0) return;
    for (const [lo, hi] of ranges) {
      for (let i = this.lowerBound(lo); i < this.waiters.length && this.waiters[i]!.seq <= hi; i++) {
        this.waiters[i]!.peers.add(peer);
      }
    }
    this.settle();
  }

  /** `peer` holds every seq up to `upTo` of this server's origin. */
  ackUpTo(peer: string, upTo: number): void {
    if (upTo > (this.floor.get(peer) ?? 0)) this.floor.set(peer, upTo);
    if (upTo >= 1) this.ack(peer, [[1, upTo]]);
  }

  /** Fails every wait whose deadline has passed. */
  expire(now = this.now()): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.deadline <= now && w.everyone && w.peers.size >= this.required) {
        w.resolve();
      } else if (w.deadline <= now) {
        w.reject(new ReplicationError(`not yet on ${this.required} other server(s) after ${this.timeoutMs} ms; retry`));
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /** Fails every pending wait (shutting down). */
  close(): void {
    for (const w of this.waiters) w.reject(new ReplicationError("server stopping; retry"));
    this.waiters = [];
  }

  private settle(): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.peers.size >= this.wanted(w.everyone)) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private wanted(everyone: boolean): number {
    return everyone ? this.live.size : this.required;
  }

  private lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.waiters.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.waiters[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
