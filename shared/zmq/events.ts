/**
 * Socket events, after zeromq.js v6's `socket.events`: handshakes that
 * completed (with the peer's {@link PeerInfo}), handshakes that failed
 * (a refused authentication, a wrong key, a mechanism mismatch…),
 * disconnections of established peers, and a PUB's bounds at work (a
 * subscriber dropping messages at its high-water mark, a subscription
 * refused). Listeners run synchronously; one
 * that throws is reported on the console and does not disturb the socket.
 * @module
 */
import type { PeerInfo } from "./auth.ts";
import type { ZmtpError } from "./errors.ts";

export interface SocketEventMap {
  /**
   * A peer completed its handshake. `endpoint` is what we dialled, or the
   * listening endpoint; `routingId` is the peer's id on a ROUTER (so that a
   * broker knows a server that never speaks first, such as a REP).
   */
  handshake: { endpoint: string; peer: PeerInfo; routingId?: Buffer };
  /** A connection closed before its handshake completed. */
  "handshake:error": { endpoint: string; address: string; port: number; error: ZmtpError };
  /** An established peer went away (`error` when it was dropped for a protocol violation). */
  disconnect: { endpoint: string; peer: PeerInfo; error?: ZmtpError; routingId?: Buffer };
  /**
   * PUB/XPUB: a subscriber's queue reached a high-water mark (`messages`
   * and `bytes` queued for it), so messages for it are dropped until it
   * has room again. Once per episode.
   */
  "hwm:drop": { endpoint: string; peer: PeerInfo; messages: number; bytes: number };
  /** PUB/XPUB: that subscriber has room again; `dropped` messages were lost meanwhile. */
  "hwm:recovered": { endpoint: string; peer: PeerInfo; dropped: number };
  /**
   * PUB/XPUB refused a subscription: its topic is longer than
   * `maxTopicLength` ("topic-length"), or the connection already holds
   * `maxSubscriptions` ("count"). The peer keeps its other subscriptions.
   * Reported once per connection and reason (a flood is one line).
   */
  "subscription:refused": { endpoint: string; peer: PeerInfo; reason: "topic-length" | "count"; topicBytes: number; limit: number };
}

export type SocketEventName = keyof SocketEventMap;
type Listener<K extends SocketEventName> = (ev: SocketEventMap[K]) => void;

export class SocketEvents {
  private readonly listeners = new Map<SocketEventName, Set<Listener<any>>>();

  /** Add a listener; returns a function that removes it. */
  on<K extends SocketEventName>(name: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn);
    return () => this.off(name, fn);
  }

  off<K extends SocketEventName>(name: K, fn: Listener<K>): void {
    this.listeners.get(name)?.delete(fn);
  }

  /** The next event of this kind. */
  once<K extends SocketEventName>(name: K): Promise<SocketEventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (ev) => {
        off();
        resolve(ev);
      });
    });
  }

  /** True when someone listens for `name` (lets callers skip building the event). */
  has(name: SocketEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends SocketEventName>(name: K, ev: SocketEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(ev);
      } catch (e) {
        console.error(`zmtp: ${name} listener threw`, e);
      }
    }
  }
}
