/**
 * Peer service `status` (extension): what the cluster view shows about one
 * server — name, rank, peer address, coordinator, wall-clock reading and
 * offset, and the replica's record count, version vector and digest.
 * The reply's shape is declared here once, with its validator, for every
 * reader (the status tool, benchmarks).
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

const isVector = (v: unknown): v is Record<string, number> =>
  !!v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((n) => typeof n === "number" && Number.isFinite(n));

/** A `status` reply's data as a ServerStatus; null if any field is missing or of the wrong type. */
export function parseStatus(data: unknown): ServerStatus | null {
  if (!data || typeof data !== "object") return null;
  const d = data as Record<string, unknown>;
  const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const str = (v: unknown): v is string => typeof v === "string";
  if (!str(d.name) || !(d.rank === null || num(d.rank)) || !str(d.address)) return null;
  if (!(d.coordinator === null || str(d.coordinator)) || typeof d.isCoordinator !== "boolean") return null;
  if (!num(d.time) || !num(d.offset) || !num(d.count) || !isVector(d.vector) || !str(d.digest)) return null;
  if (!Array.isArray(d.peers) || !d.peers.every(str)) return null;
  return {
    name: d.name,
    rank: d.rank,
    address: d.address,
    coordinator: d.coordinator,
    isCoordinator: d.isCoordinator,
    time: d.time,
    offset: d.offset,
    count: d.count,
    vector: d.vector,
    digest: d.digest,
    peers: d.peers,
  };
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
