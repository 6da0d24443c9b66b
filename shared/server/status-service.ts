/**
 * Peer service `status` (extension): what the cluster view shows about one
 * server — name, rank, peer address, coordinator, wall-clock reading and
 * offset, and the replica's record count, version vector and digest.
 *
 * @module
 */
import type { Election } from "./election.ts";
import type { Membership } from "./membership.ts";
import type { Component, ServerNode } from "./node.ts";

/** The `status` reply's data (besides timestamp and clock). */
export interface ServerStatus {
  name: string;
  rank: number | null;
  address: string;
  coordinator: string | null;
  isCoordinator: boolean;
  /** This server's wall clock (ms since the epoch). */
  time: number;
  /** Offset of this server's wall clock from its host's clock (ms). */
  offset: number;
  /** Visible publish/message records. */
  count: number;
  vector: Record<string, number>;
  digest: string;
  /** Live peers this server knows of. */
  peers: string[];
}

/** Builds this server's status. */
export function serverStatus(node: ServerNode, membership: Membership, election: Election): ServerStatus {
  return {
    name: node.name,
    rank: membership.rank,
    address: node.peerAddress,
    coordinator: election.coordinator,
    isCoordinator: election.isCoordinator,
    time: node.wall.now(),
    offset: node.wall.offset,
    count: node.store.count(),
    vector: node.store.vector(),
    digest: node.store.digest(),
    peers: node.livePeers.map((p) => p.name),
  };
}

/** Registers the `status` peer service. */
export class StatusService implements Component {
  constructor(
    private readonly node: ServerNode,
    private readonly membership: Membership,
    private readonly election: Election,
  ) {}

  start(): void {
    this.off = this.node.peerService("status", () => ({ ...serverStatus(this.node, this.membership, this.election) }));
  }

  stop(): void {
    this.off();
  }

  private off: () => void = () => {};
}
