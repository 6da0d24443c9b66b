/**
 * Quiet servers for benchmarks: a server started with `--quiet` prints no
 * "up" line, so it gets a known free peer port and is ready once it
 * answers `status` there. Also a status poller that keeps one request
 * socket per server.
 *
 * @module
 */
import { LamportClock } from "../../shared/cluster/lamport.ts";
import { RpcClient } from "../../shared/wire/rpc-client.ts";
import { parseStatus, type ServerStatus } from "../../shared/server/status-service.ts";
import type { Cluster } from "../../test/helpers/cluster.ts";
import { freePort, spawnRole, type RoleProcess } from "../../test/helpers/process.ts";

/** A started benchmark server. */
export interface BenchServer {
  name: string;
  proc: RoleProcess;
  address: string;
  status: RpcClient;
}

const servers = new WeakMap<Cluster, Map<string, BenchServer>>();

/** The bench servers started on `cluster` so far, by name. */
export function benchServers(cluster: Cluster): Map<string, BenchServer> {
  let m = servers.get(cluster);
  if (!m) servers.set(cluster, (m = new Map()));
  return m;
}

/** Starts `bun scripts/server.ts --quiet …` on the cluster and waits until it answers `status`. */
export async function startServer(cluster: Cluster, name: string, args: string[] = [], timeoutMs = 30_000): Promise<BenchServer> {
  const port = await freePort();
  const proc = spawnRole(
    "server",
    [...cluster.endpointArgs(), "--name", name, "--data-dir", cluster.dataDir, "--peer", String(port), "--skew", "0", "--quiet", ...args],
    { label: name },
  );
  cluster.servers.set(name, proc);
  const address = `tcp://127.0.0.1:${port}`;
  const status = new RpcClient({ endpoint: address, clock: new LamportClock(), timeoutMs: 2000, retries: 0, security: cluster.trust.member() });
  const s: BenchServer = { name, proc, address, status };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${name} exited: ${proc.output.slice(-10).join("\n")}`);
    if ((await statusOf(s).catch(() => null)) !== null) break;
    if (Date.now() > deadline) throw new Error(`${name} did not answer status within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
  benchServers(cluster).set(name, s);
  return s;
}

/** One `status` request; throws on a reply that is not a status. */
export async function statusOf(s: BenchServer, timeoutMs = 2000): Promise<ServerStatus> {
  const r = await s.status.request("status", {}, timeoutMs);
  const st = parseStatus(r.data);
  if (!st) throw new Error(`${s.name}: malformed status reply`);
  return st;
}

/** Waits until each server lists `peers` live peers. */
export async function waitPeers(list: BenchServer[], peers: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(list.map((s) => statusOf(s).catch(() => null)));
    if (all.every((st) => st !== null && st.peers.length === peers)) return;
    if (Date.now() > deadline) throw new Error(`servers never saw ${peers} peers: ${JSON.stringify(all.map((a) => a?.peers))}`);
    await Bun.sleep(100);
  }
}

/** Waits until every server reports the same count, at least `min`. */
export async function waitCount(list: BenchServer[], min: number, timeoutMs = 120_000, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(list.map((s) => statusOf(s, 10_000).catch(() => null)));
    if (all.every((st) => st !== null && st.count >= min && st.count === all[0]!.count)) return;
    if (Date.now() > deadline) throw new Error(`servers never reached ${min} records: ${JSON.stringify(all.map((a) => a?.count))}`);
    await Bun.sleep(pollMs);
  }
}

/** Kills one bench server (SIGKILL) and forgets it. */
export async function killServer(cluster: Cluster, name: string): Promise<void> {
  const s = benchServers(cluster).get(name);
  if (!s) return;
  s.status.close();
  await s.proc.stop("SIGKILL", 1000);
  benchServers(cluster).delete(name);
}

/** Closes the status sockets (the processes stop with the cluster). */
export function closeStatus(cluster: Cluster): void {
  for (const s of benchServers(cluster).values()) s.status.close();
  benchServers(cluster).clear();
}
