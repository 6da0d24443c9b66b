/**
 * The narrow ports the server's parts are handed, and the types they share,
 * so that the endpoints and the node import these, not each other.
 *
 * @module
 */
import type { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import type { ChatRecord, Store } from "../store/store.ts";
import type { Envelope } from "../wire/protocol.ts";
import type { Dealer, Subscriber } from "../zmq/index.ts";
import type { ChatService } from "./chat-service.ts";

/** A live server as the ref lists it. */
export interface PeerInfo {
  name: string;
  rank: number;
  address?: string;
}

/**
 * A part of the server with a lifetime of its own. The node starts its
 * parts in the order given, then waits for every `ready()` before it takes
 * client requests, and stops them in reverse order.
 */
export interface Component {
  start(): void | Promise<void>;
  /** Settles once the part lets the server take client requests (replication's first catch-up). */
  ready?(): Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * A write that joins a client batch's transaction (records pushed by peers),
 * so one fsync covers them too: it runs inside the transaction and returns
 * what to do once it committed (`true`) or failed (`false`).
 */
export type CommitParticipant = () => ((committed: boolean) => void) | undefined;

/** Resolves once the records a request stored may be acknowledged to the client. */
export type CommitPolicy = (records: ChatRecord[]) => Promise<void>;

/** Handles a publication received on a subscribed topic. */
export type TopicHandler = (payload: Envelope, topic: string) => void;

/** What the client endpoint uses of the server. */
export interface ClientPort {
  readonly backend: Dealer;
  readonly chat: ChatService;
  readonly store: Store;
  readonly log: Logger;
  readonly clock: LamportClock;
  sendPub(topic: string, payload: Envelope): void;
  /** Inside a batch's transaction: stages the writes that join it; returns what to run once it ended. */
  stageCommits(): ((committed: boolean) => void)[];
  /** The replication policy for what a request stored. */
  awaitCommit(records: ChatRecord[]): Promise<void>;
  /** A client request was answered. */
  handled(): void;
}

/** What the subscription listener uses of the server. */
export interface TopicPort {
  readonly sub: Subscriber;
  readonly log: Logger;
  readonly clock: LamportClock;
  topicHandler(topic: string): TopicHandler | undefined;
}
