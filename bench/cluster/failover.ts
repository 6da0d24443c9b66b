/**
 * Failover time: the coordinator is killed (SIGKILL) and the clock runs
 * until a new coordinator's announcement (`election` on topic `servers`)
 * reaches a subscriber on the proxy. The killed server is restarted and the
 * cluster left to settle before the next trial.
 *
 * @module
 */
import { decode } from "../../shared/wire/codec.ts";
import { TOPIC_SERVERS } from "../../shared/wire/protocol.ts";
import { Subscriber } from "../../shared/zmq/index.ts";
import type { Cluster } from "../../test/helpers/cluster.ts";
import { benchServers, killServer, startServer, statusOf, waitPeers, type BenchServer } from "./servers.ts";

/** Waits until every server names the same coordinator; returns it. */
async function agreedCoordinator(list: BenchServer[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(list.map((s) => statusOf(s).catch(() => null)));
    const c = all[0]?.coordinator;
    if (c && all.every((s) => s?.coordinator === c)) return c;
    if (Date.now() > deadline) throw new Error(`no agreed coordinator: ${JSON.stringify(all.map((s) => s?.coordinator))}`);
    await Bun.sleep(100);
  }
}

/** Runs `trials` failovers; returns each time in ms. */
export async function measureFailover(cluster: Cluster, trials: number, serverArgs: string[] = []): Promise<number[]> {
  // `servers` reaches cluster members only.
  const sub = new Subscriber({ receiveHighWaterMark: 10_000, ...cluster.trust.member() });
  sub.connect(cluster.endpoint("proxyXpub"));
  sub.subscribe(TOPIC_SERVERS);
  const seen: { t: number; coordinator: unknown }[] = [];
  void (async () => {
    try {
      for await (const f of sub) {
        const p = decode(f[1]!) as { service?: string; data?: { coordinator?: unknown } };
        if (p?.service === "election") seen.push({ t: performance.now(), coordinator: p.data?.coordinator });
      }
    } catch {
      // closed
    }
  })();
  const times: number[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      const list = [...benchServers(cluster).values()];
      const coord = await agreedCoordinator(list);
      const from = seen.length;
      const t0 = performance.now();
      await killServer(cluster, coord);
      const deadline = t0 + 20_000;
      let hit: number | undefined;
      while (hit === undefined && performance.now() < deadline) {
        hit = seen.slice(from).find((s) => s.coordinator !== coord && s.t >= t0)?.t;
        if (hit === undefined) await Bun.sleep(5);
      }
      times.push(hit === undefined ? NaN : hit - t0);
      await startServer(cluster, coord, serverArgs);
      await waitPeers([...benchServers(cluster).values()], list.length - 1);
      await agreedCoordinator([...benchServers(cluster).values()]);
    }
  } finally {
    sub.close();
  }
  return times;
}
