/**
 * Benchmark: acknowledged publishes per second across a 3-server cluster
 * (each OK means the message is on disk on two servers), with the latency
 * of each acknowledged publish (p50 / p99), over real processes on loopback.
 *
 * `bun bench/replication-throughput.ts [seconds=5] [clients=32]`
 *
 * @module
 */
import { Cluster } from "../test/helpers/cluster.ts";
import { waitConverged, waitPeers } from "../test/helpers/replicas.ts";

const seconds = Number(process.argv[2] ?? 5);
const clients = Number(process.argv[3] ?? 32);
const names = ["server1", "server2", "server3"];
const cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "500", ...(process.env.BENCH_ARGS ?? "").split(" ").filter(Boolean)] });
try {
  for (const s of names) await cluster.startServer(s);
  await waitPeers(cluster, names, 2);
  const setup = cluster.client();
  await setup.request("login", { user: "bench" });
  await setup.request("channel", { channel: "bench" });
  await waitConverged(cluster, names);
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      const c = cluster.client(5000);
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const r = await c.request("publish", { user: "bench", channel: "bench", message: `m ${w} ${i}`, id: `b${w}-${i}` }).catch(() => null);
        if (r?.data.status === "OK") lat.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]?.toFixed(1);
  console.log(`${lat.length} acknowledged publishes in ${seconds} s: ${(lat.length / seconds).toFixed(0)}/s, ${errors} errors; latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
} finally {
  await cluster.stop();
}
