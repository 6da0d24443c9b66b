/**
 * Test harness for replication: a running server's peer address (from its
 * "up" line), its `status` (count, vector, digest) over the peer endpoint,
 * waiting until replicas agree, and each replica's visible message ids in
 * history order, read straight from its database file.
 *
 * @module
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { LamportClock } from "../../shared/cluster/lamport.ts";
import { RpcClient } from "../../shared/wire/rpc-client.ts";
import type { Cluster } from "./cluster.ts";
import type { RoleProcess } from "./process.ts";

export interface ReplicaStatus {
  name: string;
  count: number;
  digest: string;
  vector: Record<string, number>;
  peers: string[];
}

/** The peer endpoint a server announced in its "up" line. */
export function peerAddressOf(p: RoleProcess): string {
  for (const line of p.output) {
    const m = /server \S+ up: peer (\S+),/.exec(line);
    if (m) return m[1]!;
  }
  throw new Error(`${p.label} has not announced its peer address`);
}

/** Asks a server for its status on its peer endpoint. */
export async function statusOf(address: string, timeoutMs = 2000): Promise<ReplicaStatus> {
  const c = new RpcClient({ endpoint: address, clock: new LamportClock(), timeoutMs, retries: 0 });
  try {
    const r = await c.request("status", {});
    return r.data as unknown as ReplicaStatus;
  } finally {
    c.close();
  }
}

/**
 * Polls the running servers until every one reports the same digest and at
 * least `minCount` messages, each knowing `peers` live peers if given;
 * returns their statuses. Throws (with what each reported) after `timeoutMs`.
 */
export async function waitConverged(
  cluster: Cluster,
  names: string[],
  opts: { minCount?: number; peers?: number; timeoutMs?: number } = {},
): Promise<ReplicaStatus[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const all = await Promise.all(names.map((n) => statusOf(peerAddressOf(cluster.servers.get(n)!))));
      last = all.map((s) => ({ name: s.name, count: s.count, digest: s.digest, peers: s.peers }));
      const same = all.every((s) => s.digest === all[0]!.digest && s.count === all[0]!.count);
      const enough = all[0]!.count >= (opts.minCount ?? 0);
      const seen = opts.peers === undefined || all.every((s) => s.peers.length === opts.peers);
      if (same && enough && seen) return all;
    } catch (e) {
      last = (e as Error).message;
    }
    await Bun.sleep(200);
  }
  throw new Error(`replicas did not converge: ${JSON.stringify(last)}`);
}

/** Waits until every named server lists exactly `peers` live peers. */
export async function waitPeers(cluster: Cluster, names: string[], peers: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const all = await Promise.all(names.map((n) => statusOf(peerAddressOf(cluster.servers.get(n)!))));
      last = all.map((s) => [s.name, s.peers]);
      if (all.every((s) => s.peers.length === peers)) return;
    } catch (e) {
      last = (e as Error).message;
    }
    await Bun.sleep(100);
  }
  throw new Error(`servers never saw ${peers} live peers: ${JSON.stringify(last)}`);
}

/** Visible publish/message ids of a server's database, in history order (clock, origin, seq). */
export function historyIds(cluster: Cluster, name: string): string[] {
  const db = new Database(join(cluster.dataDir, name, "chat.sqlite"), { readonly: true });
  try {
    const rows = db
      .query("SELECT id FROM records WHERE hidden = 0 AND kind IN ('publish', 'message') ORDER BY clock, origin, seq")
      .all() as { id: string }[];
    return rows.map((r) => r.id);
  } finally {
    db.close();
  }
}

/** True if a server's database holds a visible record with this id. */
export function holds(cluster: Cluster, name: string, id: string): boolean {
  const db = new Database(join(cluster.dataDir, name, "chat.sqlite"), { readonly: true });
  try {
    return db.query("SELECT 1 AS x FROM records WHERE id = ?").get(id) !== null;
  } finally {
    db.close();
  }
}
