/**
 * The status tool's view of the cluster: asks the ref `list`, then every
 * live server its `status` peer service, and estimates each server's clock
 * offset against the coordinator over the network (half the round trip
 * compensated). Renders the result as a table; the script only loops.
 *
 * @module
 */
import kleur from "kleur";
import { LamportClock } from "../cluster/lamport.ts";
import { RpcClient } from "../wire/rpc-client.ts";
import type { SocketOptions } from "../zmq/index.ts";
import { parseList } from "../server/membership.ts";
import { parseStatus, type ServerStatus } from "../server/status-service.ts";
import type { PeerInfo } from "../server/ports.ts";

/** One server as the view shows it: the ref's entry, then what it reports. */
export interface Row extends PeerInfo, Partial<Pick<ServerStatus, "coordinator" | "isCoordinator" | "offset" | "count" | "vector" | "digest">> {
  reachable: boolean;
  error?: string;
  /** Estimated offset of its clock from the status tool's clock (ms). */
  skew?: number;
  /** Estimated offset against the coordinator's clock (ms); null without a coordinator. */
  vsCoordinator?: number | null;
  rttMs?: number;
}

/** One refresh of the view. */
export interface Snapshot {
  ref: string;
  servers: Row[];
  error?: string;
}

/** Polls the cluster through one request socket per endpoint. */
export class ClusterView {
  private readonly clock = new LamportClock();
  private readonly clients = new Map<string, RpcClient>();

  constructor(
    private readonly refEndpoint: string,
    private readonly timeoutMs: number,
    /** How to connect to the ref and the peer endpoints (the cluster's keys). */
    private readonly security: SocketOptions = {},
  ) {}

  /** The ref's list, then every listed server's status, asked in parallel. */
  async snapshot(): Promise<Snapshot> {
    const ref = this.refEndpoint;
    let list: PeerInfo[] | null;
    try {
      list = parseList((await this.client(ref, "ref").request("list")).data.list);
      if (!list) throw new Error("malformed list");
    } catch (e) {
      return { ref, servers: [], error: `ref ${ref}: ${(e as Error).message}` };
    }
    const rows = await Promise.all(list.map((p) => this.row(p)));
    const coord = rows.find((r) => r.isCoordinator && r.skew !== undefined);
    for (const r of rows) r.vsCoordinator = coord?.skew !== undefined && r.skew !== undefined ? r.skew - coord.skew : null;
    return { ref, servers: rows };
  }

  /** Closes every request socket. */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private async row(p: PeerInfo): Promise<Row> {
    if (!p.address) return { ...p, reachable: false, error: "no peer address" };
    const sentAt = Date.now();
    try {
      const data = (await this.client(p.address, p.name).request("status")).data;
      const receivedAt = Date.now();
      if (data.status === "erro") return { ...p, reachable: true, error: String(data.description) };
      const s = parseStatus(data);
      if (!s) return { ...p, reachable: true, error: "malformed status reply" };
      const rtt = receivedAt - sentAt;
      return {
        ...p,
        reachable: true,
        coordinator: s.coordinator,
        isCoordinator: s.isCoordinator,
        offset: s.offset,
        skew: s.time + rtt / 2 - receivedAt,
        rttMs: rtt,
        count: s.count,
        vector: s.vector,
        digest: s.digest,
      };
    } catch (e) {
      return { ...p, reachable: false, error: (e as Error).message };
    }
  }

  private client(endpoint: string, name: string): RpcClient {
    let c = this.clients.get(endpoint);
    if (!c) this.clients.set(endpoint, (c = new RpcClient({ endpoint, clock: this.clock, peerName: name, timeoutMs: this.timeoutMs, retries: 0, security: this.security })));
    return c;
  }
}

/** The snapshot as a table: one row per server, then whether the replicas agree. */
export function renderTable(s: Snapshot, now = new Date()): string {
  const lines = [`cluster via ref ${s.ref}  ${now.toLocaleTimeString()}`];
  if (s.error) return [...lines, kleur.red(s.error)].join("\n");
  if (s.servers.length === 0) return [...lines, "no live servers"].join("\n");
  const head = ["name", "rank", "address", "coord", "vs coord", "records", "digest", "vector"];
  const body = s.servers.map((r) => [
    r.name,
    String(r.rank),
    r.address ?? "-",
    r.isCoordinator ? "*" : r.reachable ? (r.coordinator ?? "?") : "-",
    r.vsCoordinator == null ? "-" : `${r.vsCoordinator >= 0 ? "+" : ""}${r.vsCoordinator.toFixed(0)} ms`,
    r.count === undefined ? "-" : String(r.count),
    r.digest ? r.digest.slice(0, 12) : "-",
    r.error ? kleur.red(r.error) : Object.entries(r.vector ?? {}).map(([k, v]) => `${k}:${v}`).join(" "),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(width[i]!) : c)).join("  ");
  const digests = new Set(s.servers.filter((r) => r.digest).map((r) => r.digest));
  const verdict = digests.size <= 1 ? kleur.green("replicas agree") : kleur.yellow(`${digests.size} different digests`);
  return [...lines, kleur.bold(fmt(head)), ...body.map(fmt), verdict].join("\n");
}
