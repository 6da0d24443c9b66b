/**
 * Benchmark: how long an empty server takes to catch up a large history
 * from a peer (anti-entropy pull), over real processes on loopback.
 *
 * `bun bench/replication-catchup.ts [records=1000000]`
 *
 * @module
 */
import { join } from "node:path";
import { openStore } from "../shared/store/sqlite.ts";
import { freshOrigin } from "../shared/server/origin.ts";
import { Cluster } from "../test/helpers/cluster.ts";
import { eventually } from "../test/helpers/eventually.ts";
import { waitPeers } from "../test/helpers/replicas.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
try {
  let t = performance.now();
  const store = openStore(join(cluster.dataDir, "server1"), freshOrigin("server1"));
  store.transaction(() => {
    store.appendLocal({ kind: "login", user: "ana", timestamp: Date.now(), clock: 1 });
    store.appendLocal({ kind: "channel", channel: "bench", timestamp: Date.now(), clock: 2 });
  });
  for (let done = 0; done < total; ) {
    const n = Math.min(10_000, total - done);
    store.transaction(() => {
      for (let i = 0; i < n; i++) {
        store.appendLocal({ kind: "publish", user: "ana", channel: "bench", message: `message number ${done + i}`, timestamp: Date.now(), clock: 3 + done + i });
      }
    });
    done += n;
  }
  store.close();
  console.log(`seeded ${total} records in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await cluster.startServer("server1");
  await cluster.startServer("server1b");
  t = performance.now();
  await waitPeers(cluster, ["server1b"], 1, 30_000);
  await eventually(
    async () => {
      const { count } = await cluster.status("server1b", 10_000);
      if (count < total) throw new Error(`${count} of ${total} records`);
    },
    { timeoutMs: 3_600_000, intervalMs: 250, what: "server1b catching up" },
  );
  console.log(`caught up ${total} records in ${((performance.now() - t) / 1000).toFixed(1)} s`);
} finally {
  await cluster.stop();
}
