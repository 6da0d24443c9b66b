/**
 * Replication: every server holds every record, and no acknowledged write
 * is lost when any one server dies with its disk.
 *
 * The method is eager push with acknowledgement plus anti-entropy pull
 * (version vectors, as in Bayou / Dynamo-style replicas), adapted to the
 * course's `replication` topic:
 *
 * - Push: the records a request stored are published (batched per tick) on
 *   topic `replication`; every other server applies them at once in one
 *   transaction (joining a client batch's transaction when one is open,
 *   so one fsync covers both) and acknowledges the seqs it now holds, once
 *   committed, to the origin's peer
 *   endpoint (`replicated`, batched, one request in flight per peer).
 * - Ack rule: the client-endpoint awaits `commitHook`, which resolves once
 *   `min(minReplicas, live peers)` other servers confirmed (AckTracker). A
 *   write still unconfirmed after `resendMs` is pushed again directly by
 *   peer request (`replicate`, whose reply is the ack), which covers lost
 *   publications and a proxy that is down; after `ackTimeoutMs` the client
 *   gets an `erro` ("retry"), never a false OK.
 * - Pull: at start-up, whenever a new peer shows up, on a gap in the pushed
 *   seqs, and every `antiEntropyMs`, vectors are compared with each live peer and
 *   what is missing is fetched in pages (anti-entropy.ts).
 * - Records applied from a peer are never re-published to users: the
 *   origin delivered them.
 *
 * @module
 */
import type { RpcClient } from "../../wire/rpc-client.ts";
import { StoreError, type ChatRecord } from "../../store/store.ts";
import { AckSender } from "./ack-sender.ts";
import { AckTracker } from "./ack-tracker.ts";
import { pullFrom, servePullServices } from "./anti-entropy.ts";
import type { Component, PeerInfo, ServerNode } from "../node.ts";
import {
  chunk,
  parseAck,
  parsePush,
  ReplicationError,
  toRanges,
  type SeqRange,
} from "./wire.ts";
import { TOPIC_REPLICATION } from "../../wire/protocol.ts";
import { traced } from "../../debug/stall-trace.ts";
import { offAll } from "../events.ts";

export interface ReplicationOptions {
  /** Other servers that must hold a write before the client gets OK. */
  minReplicas: number;
  /** Longest wait for those confirmations, in ms. */
  ackTimeoutMs: number;
  /** Anti-entropy period in ms. */
  antiEntropyMs: number;
  /** A write unconfirmed this long is pushed again by peer request (default 200 ms). */
  resendMs?: number;
  /** Records per fetched page (default 2000). */
  pageSize?: number;
  /** fsync every commit even while replicas back each write. */
  fsyncAlways: boolean;
}

/** How long a starting server waits for the ref's first list before serving alone. */
const FIRST_LIST_WAIT_MS = 1500;
/** Longest start-up catch-up before taking requests anyway (anti-entropy finishes it). */
const CATCH_UP_CAP_MS = 120_000;

/** Most pushed records waiting to be applied; beyond it pushes are dropped and pulled later. */
const MAX_INBOX = 50_000;

export class Replication implements Component {
  readonly tracker: AckTracker;
  readonly antiEntropyMs: number;
  readonly resendMs: number;
  readonly pageSize: number;
  readonly fsyncAlways: boolean;
  /** Records applied from peers since start (pushed or pulled, new or not). */
  applied = 0;
  private running = false;
  private pushedUpTo = 0;
  private outbox: ChatRecord[] = [];
  private outboxScheduled = false;
  private inbox: { origin: string; name: string; address: string; records: ChatRecord[] }[] = [];
  private inboxCount = 0;
  private inboxScheduled = false;
  private readonly acks: AckSender;
  private directInFlight = new Set<string>();
  /** Where each origin's server can be reached (learnt from pushes and vectors). */
  private originPeers = new Map<string, { name: string; address: string }>();
  private knownPeers = new Set<string>();
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private syncTimer: ReturnType<typeof setInterval> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private lastLow: number | undefined;
  private readonly offs: (() => void)[] = [];
  private caughtUp: Promise<void> = Promise.resolve();
  /** Resolves the wait for the ref's first list of peers. */
  private listed: (() => void) | null = null;

  constructor(
    private readonly node: ServerNode,
    opts: ReplicationOptions,
  ) {
    this.tracker = new AckTracker({ minReplicas: opts.minReplicas, timeoutMs: opts.ackTimeoutMs });
    this.antiEntropyMs = opts.antiEntropyMs;
    this.resendMs = opts.resendMs ?? 200;
    this.pageSize = opts.pageSize ?? 2000;
    this.fsyncAlways = opts.fsyncAlways;
    this.acks = new AckSender({ from: node.name, client: (n, a) => this.client(n, a), timeoutMs: this.tracker.timeoutMs, running: () => this.running });
    for (const [k, v] of Object.entries({ antiEntropyMs: this.antiEntropyMs, resendMs: this.resendMs, pageSize: this.pageSize })) {
      if (!(v > 0)) throw new ReplicationError(`${k} must be positive`);
    }
  }

  /** This server's origin (its records' identity). */
  get origin(): string {
    return this.node.store.serverName;
  }

  start(): void {
    const { node } = this;
    this.running = true;
    this.pushedUpTo = node.store.vector()[this.origin] ?? 0;
    const offs = this.offs;
    offs.push(...servePullServices(node, node.store, this.pageSize));
    offs.push(node.peerService("replicated", (data) => {
      const ack = parseAck(data);
      if (ack.origin === this.origin) this.tracker.ack(ack.from, ack.ranges);
      return {};
    }));
    offs.push(node.peerService("replicate", (data) => {
      const batch = parsePush(data);
      this.learn(batch.origin, batch.from, batch.address);
      const held = this.applyRecords(batch.records);
      return { ranges: held.get(batch.origin) ?? [] };
    }));
    offs.push(node.onTopic(TOPIC_REPLICATION, (payload) => this.received(payload.service, payload.data)));
    offs.push(node.setCommitPolicy((records) => this.commit(records)));
    offs.push(node.joinCommits(() => this.stageInbox()));
    offs.push(node.events.on("peers", (peers) => {
      this.peersChanged(peers);
      this.listed?.();
    }));
    this.peersChanged(node.livePeers);
    this.caughtUp = this.initialCatchUp();
    this.syncTimer = setInterval(() => void this.syncNow(), this.antiEntropyMs);
    this.sweepTimer = setInterval(() => traced("sweep", () => this.sweep()), this.resendMs);
  }

  /**
   * Before the server takes requests: wait for the ref's first list (or go
   * on alone if none comes soon: the ref may be down), then pull everything
   * the live peers hold that this server lacks.
   */
  private async initialCatchUp(): Promise<void> {
    await Promise.race([new Promise<void>((r) => (this.listed = r)), Bun.sleep(FIRST_LIST_WAIT_MS)]);
    this.listed = null;
    if (this.running && this.node.livePeers.length > 0) await Promise.race([this.syncNow(), Bun.sleep(CATCH_UP_CAP_MS)]);
  }

  /** The first catch-up, which the server waits for before it takes client requests. */
  ready(): Promise<void> {
    return this.caughtUp;
  }

  stop(): void {
    this.running = false;
    this.listed?.();
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    offAll(this.offs);
    this.tracker.close();
  }

  /** The commit hook: push the new local records, resolve once enough peers hold them. */
  commit(records: ChatRecord[]): Promise<void> {
    let max = 0;
    let everyone = false;
    for (const r of records) {
      if (r.origin !== this.origin) continue;
      max = Math.max(max, r.seq);
      if (r.kind !== "publish" && r.kind !== "message") everyone = true; // logins, channels, claims, sessions
      if (r.seq > this.pushedUpTo) {
        this.outbox.push(r);
        this.pushedUpTo = r.seq;
      }
    }
    if (this.outbox.length > 0 && !this.outboxScheduled) {
      this.outboxScheduled = true;
      setImmediate(() => this.flushOutbox());
    }
    return max === 0 ? Promise.resolve() : this.tracker.wait(max, everyone);
  }

  /** One anti-entropy round with every live peer (joins a round already running). */
  syncNow(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.round();
      } while (this.syncAgain && this.running);
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async round(): Promise<void> {
    const peers = this.node.livePeers.filter((p) => p.address);
    await Promise.all(
      peers.map(async (p) => {
        try {
          const res = await pullFrom(this.node.store, this.client(p.name, p.address!), {
            pageSize: this.pageSize,
            apply: (recs) => traced("pull-apply", () => this.applyAndAck(recs)),
            onVector: (v, origin) => {
              this.tracker.ackUpTo(p.name, v[this.origin] ?? 0);
              if (origin) this.learn(origin, p.name, p.address!);
            },
            running: () => this.running,
            name: this.node.name,
          });
          if (res.received > 0) this.node.log.info(`anti-entropy: ${res.received} records from ${p.name}`, this.node.clock.value);
        } catch (e) {
          if (this.running) this.node.log.info(`anti-entropy with ${p.name} failed: ${(e as Error).message}`, this.node.clock.value);
        }
      }),
    );
  }

  private client(name: string, address: string): RpcClient {
    return this.node.peerClient(name, address);
  }

  private peersChanged(peers: PeerInfo[]): void {
    this.tracker.setLive(peers.map((p) => p.name));
    // A write acknowledged only once another server holds it survives this
    // machine's crash without a local fsync; a server alone fsyncs each commit.
    this.node.store.setFsync(this.fsyncAlways || this.tracker.required === 0);
    const names = new Set(peers.map((p) => p.name));
    const joined = [...names].some((n) => !this.knownPeers.has(n));
    this.knownPeers = names;
    if (joined && this.running) void this.syncNow();
  }

  private flushOutbox(): void {
    this.outboxScheduled = false;
    const records = this.outbox;
    this.outbox = [];
    if (!this.running) return;
    for (const batch of chunk(records)) {
      this.node.publish(TOPIC_REPLICATION, "replicate", {
        from: this.node.name,
        origin: this.origin,
        address: this.node.peerAddress,
        records: batch,
      });
    }
  }

  /** A publication on `replication`: queue it to be applied with whatever else arrived this tick. */
  private received(service: string, data: unknown): void {
    if (service !== "replicate") return;
    let batch;
    try {
      batch = parsePush(data);
    } catch (e) {
      this.node.log.error((e as Error).message);
      return;
    }
    if (batch.origin === this.origin || batch.from === this.node.name) return; // our own push, looped back
    this.learn(batch.origin, batch.from, batch.address);
    if (this.inboxCount + batch.records.length > MAX_INBOX) {
      this.node.log.error(`replication: inbox full, ${batch.records.length} pushed records left to anti-entropy`);
      return;
    }
    this.inbox.push({ origin: batch.origin, name: batch.from, address: batch.address, records: batch.records });
    this.inboxCount += batch.records.length;
    if (!this.inboxScheduled) {
      this.inboxScheduled = true;
      setImmediate(() => traced("inbox", () => this.flushInbox()));
    }
  }

  /** Applies the inbox in a transaction of its own (when no client batch took it first). */
  private flushInbox(): void {
    this.inboxScheduled = false;
    let done: ((committed: boolean) => void) | undefined;
    try {
      this.node.store.transaction(() => {
        done = this.stageInbox();
      });
    } catch (e) {
      this.node.log.error(`replication: applying pushed records failed: ${(e as Error).message}`);
      done?.(false);
      return;
    }
    done?.(true);
  }

  /**
   * Applies the pushed records waiting in the inbox inside the caller's
   * transaction; the returned function acknowledges them once that
   * transaction committed (or, if it failed, leaves them to anti-entropy).
   */
  private stageInbox(): ((committed: boolean) => void) | undefined {
    const batches = this.inbox;
    this.inbox = [];
    this.inboxCount = 0;
    if (!this.running || batches.length === 0) return undefined;
    let held: Map<string, SeqRange[]>;
    try {
      held = this.applyRecords(batches.flatMap((b) => b.records));
    } catch (e) {
      this.node.log.error(`replication: applying pushed records failed: ${(e as Error).message}`);
      return () => void this.syncNow();
    }
    return (committed) => {
      if (!committed) {
        void this.syncNow();
        return;
      }
      this.ackHeld(held);
      const vec = this.node.store.vector();
      const gap = batches.some((b) => {
        const low = b.records.reduce((m, r) => Math.min(m, r.seq), Infinity);
        return Number.isFinite(low) && (vec[b.origin] ?? 0) < low - 1;
      });
      if (gap) void this.syncNow();
    };
  }

  /** Applies records in one transaction, then acknowledges them to their origins. */
  private applyAndAck(records: ChatRecord[]): void {
    this.ackHeld(this.applyRecords(records));
  }

  /** Acknowledges committed records to their origins. */
  private ackHeld(held: Map<string, SeqRange[]>): void {
    for (const [origin, ranges] of held) {
      const peer = this.originPeers.get(origin);
      if (peer && origin !== this.origin) this.acks.queue(peer.address, peer.name, origin, ranges);
    }
  }

  /** Stores records (one transaction); returns, per origin, the seqs now held. Malformed records are skipped. */
  private applyRecords(records: ChatRecord[]): Map<string, SeqRange[]> {
    const seqs = new Map<string, number[]>();
    const store = this.node.store;
    store.transaction(() => {
      for (const r of records) {
        try {
          store.apply(r);
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
          this.node.log.error(`replication: record refused: ${e.message}`);
          continue;
        }
        this.node.clock.merge(r.clock); // what we hold, we have seen: later writes sort after it
        let list = seqs.get(r.origin);
        if (!list) seqs.set(r.origin, (list = []));
        list.push(r.seq);
      }
    });
    this.applied += records.length;
    const out = new Map<string, SeqRange[]>();
    for (const [o, list] of seqs) out.set(o, toRanges(list));
    return out;
  }

  private learn(origin: string, name: string, address: string): void {
    const known = this.originPeers.get(origin);
    if (!known || known.address !== address || known.name !== name) this.originPeers.set(origin, { name, address });
  }

  /** Timer: expire overdue waits; push writes stuck since the last tick directly to live peers. */
  private sweep(): void {
    this.tracker.expire();
    const low = this.tracker.lowestPending;
    const stuck = low !== undefined && low === this.lastLow;
    this.lastLow = low;
    if (!stuck || !this.running) return;
    const records = this.node.store.since(this.origin, low - 1, this.pageSize);
    const batch = chunk(records)[0];
    if (!batch || batch.length === 0) return;
    for (const p of this.node.livePeers) {
      if (!p.address || this.directInFlight.has(p.name)) continue;
      this.directInFlight.add(p.name);
      this.client(p.name, p.address)
        .request("replicate", { from: this.node.name, origin: this.origin, address: this.node.peerAddress, records: batch }, this.tracker.timeoutMs)
        .then((reply) => {
          const ranges = reply.data?.ranges;
          if (Array.isArray(ranges)) this.tracker.ack(p.name, parseAck({ from: p.name, origin: this.origin, ranges }).ranges);
        })
        .catch(() => {})
        .finally(() => this.directInFlight.delete(p.name));
    }
  }
}
