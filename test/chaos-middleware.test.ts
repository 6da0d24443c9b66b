/**
 * Chaos under bot-like load: the broker and then the proxy are killed
 * (`kill -9`) and restarted on the same ports; clients and servers
 * reconnect, publishing resumes, and nothing acknowledged is lost.
 */
import { afterAll, expect, test } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { Load } from "./helpers/load.ts";
import { historyIds, waitConverged, waitPeers } from "./helpers/replicas.ts";

let cluster: Cluster | undefined;
let load: Load | undefined;
afterAll(async () => {
  await load?.stop();
  await cluster?.stop();
});

test("broker and proxy killed and restarted under load: everyone reconnects, nothing acknowledged is lost", async () => {
  cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
  const names = ["server1", "server2", "server3"];
  for (const s of names) await cluster.startServer(s);
  await waitPeers(cluster, names, 2);
  load = await new Load(cluster, "mw", { workers: 3, timeoutMs: 1500 }).start();
  await load.until(60);

  cluster.broker!.proc.kill("SIGKILL");
  await cluster.broker!.exited;
  await Bun.sleep(300);
  await cluster.startBroker(["--quiet"]);
  await load.until(load.count + 60);

  cluster.proxy!.proc.kill("SIGKILL");
  await cluster.proxy!.exited;
  await load.until(load.count + 30); // replication goes on by direct push while the proxy is down
  await cluster.startProxy(["--quiet"]);
  await load.until(load.count + 60);
  await load.stop();

  const acked = [...load.acked];
  const statuses = await waitConverged(cluster, names, { minCount: acked.length, timeoutMs: 30_000 });
  expect(new Set(statuses.map((s) => s.digest)).size).toBe(1);
  const lists = names.map((n) => historyIds(cluster!, n));
  for (const l of lists) expect(l).toEqual(lists[0]!);
  const held = new Set(lists[0]);
  expect(acked.filter((id) => !held.has(id))).toEqual([]);
}, 90_000);
