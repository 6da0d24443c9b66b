/**
 * Chaos under bot-like load: `kill -9` a server and restart it, wipe a
 * server's disk and restart it, add a fourth server mid-load. Afterwards
 * every acknowledged message is in every server's history, in the same
 * order, and all digests match.
 */
import { afterAll, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import { Load } from "./helpers/load.ts";
import { historyIds, waitConverged, waitPeers } from "./helpers/replicas.ts";

let cluster: Cluster | undefined;
let load: Load | undefined;
afterAll(async () => {
  await load?.stop();
  await cluster?.stop();
});

test("kill -9, wiped disk and a server added, all under load: nothing acknowledged is lost", async () => {
  cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
  const names = ["server1", "server2", "server3"];
  for (const s of names) await cluster.startServer(s);
  await waitPeers(cluster, names, 2);
  load = await new Load(cluster, "chaos", { workers: 3, timeoutMs: 1500 }).start();
  await load.until(60);

  // kill -9 one server, keep publishing, restart it.
  cluster.servers.get("server2")!.proc.kill("SIGKILL");
  await cluster.servers.get("server2")!.exited;
  await load.until(load.count + 60);
  await cluster.startServer("server2");
  await load.until(load.count + 60);

  // The same with its data directory wiped before the restart.
  cluster.servers.get("server3")!.proc.kill("SIGKILL");
  await cluster.servers.get("server3")!.exited;
  await rm(join(cluster.dataDir, "server3"), { recursive: true, force: true });
  await load.until(load.count + 60);
  await cluster.startServer("server3");
  await load.until(load.count + 60);

  // A fourth server joins mid-load.
  await cluster.startServer("server4");
  names.push("server4");
  await load.until(load.count + 100);
  await load.stop();

  const acked = [...load.acked];
  const statuses = await waitConverged(cluster, names, { minCount: acked.length, peers: 3, timeoutMs: 30_000 });
  expect(new Set(statuses.map((s) => s.digest)).size).toBe(1);
  const lists = names.map((n) => historyIds(cluster!, n));
  for (const l of lists) expect(l).toEqual(lists[0]!);
  const held = new Set(lists[0]);
  const missing = acked.filter((id) => !held.has(id));
  expect(missing).toEqual([]);
  expect(acked.length).toBeGreaterThanOrEqual(400);
}, 90_000);
