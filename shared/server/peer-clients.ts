/**
 * Request clients to other servers' peer endpoints, one per address, made
 * on first use and closed together. Each component keeps its own set: a
 * client carries one request at a time, so election requests never queue
 * behind clock readings or replication pages.
 *
 * @module
 */
import { RpcClient } from "../wire/rpc-client.ts";
import type { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import type { ClusterTrust } from "../roles/cluster-trust.ts";

export class PeerClients {
  private readonly byAddress = new Map<string, RpcClient>();

  constructor(
    private readonly node: { readonly clock: LamportClock; readonly log: Logger; readonly wall: { now(): number }; readonly trust: ClusterTrust },
    /** How long one request may wait for its reply, in ms. */
    private readonly timeoutMs: number,
  ) {}

  /** The client for `address`, labelled `name` in log lines. */
  get(name: string, address: string): RpcClient {
    let c = this.byAddress.get(address);
    if (!c) {
      c = new RpcClient({
        endpoint: address,
        clock: this.node.clock,
        peerName: name,
        log: this.node.log,
        timeoutMs: this.timeoutMs,
        retries: 0,
        now: () => this.node.wall.now(),
        security: this.node.trust.member(),
      });
      this.byAddress.set(address, c);
    }
    return c;
  }

  /** Forgets one peer's client (the peer left). */
  drop(address: string): void {
    this.byAddress.get(address)?.close();
    this.byAddress.delete(address);
  }

  closeAll(): void {
    for (const c of this.byAddress.values()) c.close();
    this.byAddress.clear();
  }
}
