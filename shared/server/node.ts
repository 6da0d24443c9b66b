/**
 * One chat server: its store, clocks and sockets, and the seams the cluster
 * components plug into.
 *
 * Sockets: a DEALER to the broker's backend (requests from clients, served
 * concurrently, replies routed back by their envelope), a PUB to the proxy
 * (deliveries and server topics), a SUB to the proxy (server topics), and a
 * ROUTER on its own peer endpoint (server-to-server services, answered to
 * REQ and DEALER peers alike). The peer endpoint takes cluster members
 * only, and the node connects to the broker, proxy, ref and other servers
 * as one (cluster-trust.ts), unless the trust is open.
 *
 * Components (membership, election, clock sync, replication) register peer
 * services with `peerService`, topic handlers with `onTopic`, and hook into
 * the write path through `commitHook`; the node starts and stops them.
 *
 * @module
 */
import { TopicRoutes } from "../wire/topic-routes.ts";
import { MAX_REQUEST_BYTES } from "../wire/protocol.ts";
import { ChatService } from "./chat-service.ts";
import { encode as encodePayload } from "../wire/codec.ts";
import { WallClock } from "../cluster/wall-clock.ts";
import type { Endpoints } from "../roles/endpoints.ts";
import { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import type { Envelope } from "../wire/protocol.ts";
import type { RpcClient } from "../wire/rpc-client.ts";
import { openStore } from "../store/sqlite.ts";
import type { ChatRecord, Store } from "../store/store.ts";
import { Dealer, isZmtpError, Publisher, Router, Subscriber } from "../zmq/index.ts";
import { heartbeatBroker, serveClients } from "./endpoints/client-endpoint.ts";
import { Events } from "./events.ts";
import { PeerClients } from "./peer-clients.ts";
import type { ClientPort, CommitParticipant, CommitPolicy, Component, PeerInfo, TopicHandler, TopicPort } from "./ports.ts";
import { Runner, serveRequests } from "../wire/runner.ts";
import { ServiceError, ServiceTable } from "../wire/service-table.ts";
import { resolveOrigin } from "./origin.ts";
import { listenTopics } from "./endpoints/topics.ts";
import { TOPIC_PRESENCE } from "../wire/presence.ts";
import { startStallTrace } from "../debug/stall-trace.ts";
import { logRefusals, type ClusterTrust } from "../roles/cluster-trust.ts";

/** The endpoints a server uses: connect forms, and the bind form of its peer endpoint. */
export type ServerEndpoints = Pick<Endpoints, "brokerBackend" | "proxyXsub" | "proxyXpub" | "ref" | "peer">;

export interface ServerNodeOptions {
  name: string;
  /** Directory of this server's database (already validated). */
  dataDir: string;
  /** Connect endpoints for brokerBackend, proxyXsub, proxyXpub, ref; bind endpoint for peer. */
  endpoints: ServerEndpoints;
  /** Host others reach this server's peer endpoint on. */
  advertiseHost: string;
  log: Logger;
  /** Initial wall-clock skew in ms (undefined: random within ±1 s; 0: none). */
  skewMs?: number;
  /** When set, ports above the peer endpoint's are tried in turn while taken (this many in all). */
  peerSearch?: number;
  /** The cluster's keys (or open mode). */
  trust: ClusterTrust;
}

/** What a server announces to its parts. */
export type NodeEvents = {
  /** The live-peer list changed (other servers only). */
  peers: [PeerInfo[]];
  /** A peer server called this one: it may be new to us. */
  "peer-seen": [string];
  /** A client request was answered. */
  handled: [];
};

/** Answers a peer service; returns the reply's data (timestamp and clock are added). */
export type PeerHandler = (data: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export { type Component, type PeerInfo, type TopicHandler } from "./ports.ts";

export class ServerNode implements ClientPort, TopicPort {
  readonly name: string;
  readonly log: Logger;
  readonly clock = new LamportClock();
  readonly wall: WallClock;
  readonly store: Store;
  readonly chat: ChatService;
  readonly endpoints: ServerEndpoints;
  readonly trust: ClusterTrust;
  /** This server's peer endpoint as others connect to it (known once started). */
  peerAddress = "";
  private readonly advertiseHost: string;
  private readonly peerSearch: number | undefined;
  readonly pub = new Publisher({ sendHighWaterMark: 100_000, sendHighWaterMarkBytes: 64 * 1024 * 1024, maxSubscriptions: 1_000_000, maxTopicLength: 256 });
  readonly sub = new Subscriber({ receiveHighWaterMark: 100_000, receiveHighWaterMarkBytes: 64 * 1024 * 1024 });
  readonly backend = new Dealer({
    receiveHighWaterMark: 10_000,
    receiveHighWaterMarkBytes: 64 * 1024 * 1024,
    sendHighWaterMark: 100_000,
    sendHighWaterMarkBytes: 64 * 1024 * 1024,
    maxMessageSize: MAX_REQUEST_BYTES,
  });
  readonly peer = new Router({ receiveHighWaterMark: 10_000, receiveHighWaterMarkBytes: 64 * 1024 * 1024 });
  /** Live servers other than this one, as last listed by the ref (kept by the membership component). */
  livePeers: PeerInfo[] = [];
  readonly events = new Events<NodeEvents>();
  /** The services of the peer endpoint; components add theirs. */
  readonly peerTable = new ServiceTable<void>("peer", (s) => `unknown peer service '${s}'`);
  private commitPolicy: CommitPolicy = async () => {};
  private readonly participants = new Set<CommitParticipant>();
  private readonly topics = new TopicRoutes<TopicHandler>(this.sub);
  private readonly components: Component[] = [];
  private readonly peerClients = new PeerClients(this, 1000);
  private stopped = false;
  private stopTrace: () => void = () => {};
  private stopHeartbeat: () => void = () => {};

  constructor(opts: ServerNodeOptions) {
    this.name = opts.name;
    this.log = opts.log;
    this.endpoints = opts.endpoints;
    this.trust = opts.trust;
    for (const s of [this.pub, this.sub, this.backend]) Object.assign(s, opts.trust.member());
    Object.assign(this.peer, opts.trust.membersOnly());
    logRefusals(this.peer, this.log, "peer endpoint");
    this.advertiseHost = opts.advertiseHost;
    this.peerSearch = opts.peerSearch;
    this.wall = new WallClock(opts.skewMs === undefined ? {} : { skewMs: opts.skewMs });
    // Records carry a per-database origin (see origin.ts), not the bare name.
    this.store = openStore(opts.dataDir, resolveOrigin(opts.dataDir, opts.name), { backgroundCheckpoint: true });
    // Resume the Lamport clock above everything stored, so that a write made
    // after a restart (even of the whole cluster) sorts after every earlier one.
    this.clock.merge(this.store.maxClock());
    this.chat = new ChatService(this.store, { serverName: opts.name, clock: this.clock, now: () => this.wall.now(), log: this.log });
    // Every server keeps the roster from every server's announcements, so any of them can answer `names`.
    this.onTopic(TOPIC_PRESENCE, (payload) => this.chat.presence.receive(payload));
  }

  /**
   * Adds a peer service; returns the function that removes it. A handler's
   * error is the refusal the asking server reads.
   */
  peerService(service: string, handler: PeerHandler): () => void {
    return this.peerTable.add({
      name: service,
      handle: async (data) => {
        const from = data.name ?? data.from;
        if (typeof from === "string" && from !== this.name) this.events.emit("peer-seen", from);
        try {
          return await handler(data);
        } catch (e) {
          throw e instanceof ServiceError ? e : new ServiceError((e as Error)?.message ?? String(e));
        }
      },
    });
  }

  /** Subscribes to a server topic; returns the function that unsubscribes. */
  onTopic(topic: string, handler: TopicHandler): () => void {
    return this.topics.on(topic, handler);
  }

  topicHandler(topic: string): TopicHandler | undefined {
    return this.topics.get(topic);
  }

  /** Replaces the policy client writes wait on (replication's write quorum); returns the function that restores local-only. */
  setCommitPolicy(policy: CommitPolicy): () => void {
    this.commitPolicy = policy;
    return () => {
      if (this.commitPolicy === policy) this.commitPolicy = async () => {};
    };
  }

  awaitCommit(records: ChatRecord[]): Promise<void> {
    return this.commitPolicy(records);
  }

  /** Adds a write that joins every client batch's transaction; returns the function that removes it. */
  joinCommits(p: CommitParticipant): () => void {
    this.participants.add(p);
    return () => void this.participants.delete(p);
  }

  stageCommits(): ((committed: boolean) => void)[] {
    const out: ((committed: boolean) => void)[] = [];
    for (const p of this.participants) {
      const done = p();
      if (done) out.push(done);
    }
    return out;
  }

  handled(): void {
    this.events.emit("handled");
  }

  /** Replaces the live-peer list and tells whoever listens. */
  setLivePeers(peers: PeerInfo[]): void {
    this.livePeers = peers.filter((p) => p.name !== this.name);
    this.events.emit("peers", this.livePeers);
  }

  use(c: Component): void {
    this.components.push(c);
  }

  /** Publishes `{service, data}` on a topic, ticking the Lamport clock. */
  publish(topic: string, service: string, data: Record<string, unknown>): void {
    const msg = { service, data: { ...data, timestamp: this.wall.now(), clock: this.clock.tick() } };
    this.log.send(`pub:${topic}`, msg, this.clock.value);
    this.sendPub(topic, msg);
  }

  /** Publishes an already stamped payload (deliveries keep their record's clock). */
  sendPub(topic: string, payload: Envelope): void {
    void this.pub.send([topic, encodePayload(payload)]).catch(() => {});
  }

  /** A request client for a peer's endpoint (cached per address). */
  peerClient(name: string, address: string): RpcClient {
    return this.peerClients.get(name, address);
  }

  /** Forgets a peer's client (the peer left). */
  dropPeerClient(address: string): void {
    this.peerClients.drop(address);
  }

  async start(): Promise<void> {
    await this.bindPeer();
    this.stopTrace = startStallTrace(this.name);
    const port = /:(\d+)$/.exec(this.peer.lastEndpoint ?? "")?.[1];
    this.peerAddress = port ? `tcp://${this.advertiseHost}:${port}` : this.endpoints.peer;
    this.pub.connect(this.endpoints.proxyXsub);
    this.sub.connect(this.endpoints.proxyXpub);
    const peers = new Runner({ table: this.peerTable, clock: this.clock, log: this.log, now: () => this.wall.now(), peer: "peer" });
    void serveRequests(this.peer, peers, undefined, true);
    void listenTopics(this);
    for (const c of this.components) await c.start();
    // Take client requests only once caught up: a server that was down, or
    // joins with an empty disk, first pulls what its peers hold.
    const gates = this.components.filter((c) => c.ready);
    if (gates.length > 0) {
      this.log.info(`server ${this.name}: catching up before taking requests`, this.clock.value);
      await Promise.all(gates.map((c) => c.ready!()));
    }
    if (this.stopped) return;
    this.backend.connect(this.endpoints.brokerBackend);
    void serveClients(this);
    this.stopHeartbeat = heartbeatBroker(this.backend);
    this.log.info(`server ${this.name} up: peer ${this.peerAddress}, ${this.store.count()} records on disk`, this.clock.value);
  }

  /**
   * Binds the peer endpoint. Without an explicit one (`peerSearch`), takes
   * the first free port from the contract's 5560 up, so several servers on
   * one machine need no port flags.
   */
  private async bindPeer(): Promise<void> {
    const tries = this.peerSearch ?? 1;
    const m = /^(.*):(\d+)$/.exec(this.endpoints.peer);
    for (let i = 0; ; i++) {
      const ep = i === 0 || !m ? this.endpoints.peer : `${m[1]}:${Number(m[2]) + i}`;
      try {
        await this.peer.bind(ep);
        return;
      } catch (e) {
        if (!isZmtpError(e) || e.code !== "EADDRINUSE" || i + 1 >= tries || !m) throw e;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTrace();
    this.stopHeartbeat();
    for (const c of [...this.components].reverse()) {
      try {
        await c.stop();
      } catch (e) {
        this.log.error(`stopping a component: ${(e as Error).message}`);
      }
    }
    this.peerClients.closeAll();
    for (const s of [this.backend, this.peer, this.sub, this.pub]) s.close();
    this.store.close();
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}
