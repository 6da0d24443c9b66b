/**
 * ROUTER (RFC 28): prefixes every incoming message with the peer's routing
 * id and routes outgoing messages by their first frame. The id is the peer's
 * READY `Identity` when non-empty and unused, else a generated 5-byte id
 * (0x00 + uint32, as libzmq does). Unroutable messages are dropped, or
 * rejected with EHOSTUNREACH when `mandatory` is set. Never blocks.
 * `peer(routingId)` tells who a routing id belongs to (user id, credentials).
 * @module
 */
import type { PeerInfo } from "./auth.ts";
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket } from "./socket.ts";

export interface RouterOptions extends SocketOptions {
  mandatory?: boolean;
}

export class Router extends ZSocket {
  mandatory = false;
  private readonly byId = new Map<string, Connection>();
  private nextId = (Math.random() * 0xffffffff) >>> 0;

  /**
   * @param announceAs the type named in the handshake: ROUTER, or DEALER
   *   for a broker that routes to REP peers (same frames on the wire)
   */
  constructor(options: RouterOptions = {}, announceAs: "ROUTER" | "DEALER" = "ROUTER") {
    super(announceAs, options);
    if (options.mandatory !== undefined) this.mandatory = options.mandatory;
  }

  protected peerAdded(c: Connection): void {
    let id = c.peerIdentity;
    if (id === null || id[0] === 0 || this.byId.has(id.toString("latin1"))) {
      // ids starting with 0x00 are reserved for generated ones (libzmq rule)
      do {
        id = Buffer.allocUnsafe(5);
        id[0] = 0;
        id.writeUInt32BE(this.nextId, 1);
        this.nextId = (this.nextId + 1) >>> 0;
      } while (this.byId.has(id.toString("latin1")));
    }
    c.routingId = id;
    this.byId.set(id.toString("latin1"), c);
  }

  /** The PeerInfo of the peer with this routing id, if it is connected. */
  peer(routingId: Buffer | string): PeerInfo | undefined {
    return this.byId.get(Buffer.from(routingId).toString("latin1"))?.peer ?? undefined;
  }

  protected peerRemoved(c: Connection): void {
    const k = c.routingId?.toString("latin1");
    if (k !== undefined && this.byId.get(k) === c) this.byId.delete(k);
  }

  protected handleMessage(c: Connection, parts: Buffer[]): void {
    // the decoder hands over a fresh array, so it can take the id in place
    if (c.routingId) {
      parts.unshift(c.routingId);
      this.deliver(c, parts);
    }
  }

  /** Never waits: routes, or drops (or throws, when `mandatory`). */
  override trySend(parts: Buffer[]): boolean {
    this.checkOpen();
    const id = parts[0]!;
    const c = this.byId.get(id.toString("latin1"));
    if (!c || c.state !== "ready") {
      if (this.mandatory) throw new ZmtpError("EHOSTUNREACH", `no peer with routing id ${id.toString("hex")}`);
      return true;
    }
    if (parts.length < 2) return true; // nothing to route
    if (c.full) {
      if (this.mandatory) throw new ZmtpError("EAGAIN", "peer queue full");
      return true;
    }
    c.send(parts.slice(1));
    return true;
  }

  send(frames: Frame | Frame[]): Promise<void> {
    return this.sendWithoutWaiting(frames);
  }
}
