/**
 * Test harness for the chaos tests: a ref, broker, proxy (both quiet) and
 * three servers that see each other, fast heartbeats, bot-like load on
 * top, and the closing check that nothing acknowledged was lost.
 *
 * @module
 */
import { expect } from "bun:test";
import { Cluster } from "./cluster.ts";
import { Load } from "./load.ts";
import { historyEverywhere, waitConverged, waitPeers } from "./replicas.ts";

export class Loaded {
  private constructor(
    readonly cluster: Cluster,
    readonly load: Load,
    /** The servers the final check asks (push a server started later). */
    readonly names: string[],
  ) {}

  /** Starts the cluster, waits until the servers see each other, starts three load workers. */
  static async start(tag: string): Promise<Loaded> {
    const cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
    const names = ["server1", "server2", "server3"];
    try {
      for (const s of names) await cluster.startServer(s);
      await waitPeers(cluster, names, names.length - 1);
      return new Loaded(cluster, await new Load(cluster, tag, { workers: 3, timeoutMs: 1500 }).start(), names);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /**
   * Stops the load, waits until every server agrees (digest, count, vector)
   * on at least what was acknowledged, each with `peers` live peers if
   * given, and expects every acknowledged id in the history every server
   * lists, and nothing there the servers do not count. Returns the number
   * of acknowledged messages.
   */
  async expectNothingLost(opts: { peers?: number } = {}): Promise<number> {
    await this.load.stop();
    const acked = [...this.load.acked];
    const statuses = await waitConverged(this.cluster, this.names, { minCount: acked.length, peers: opts.peers, timeoutMs: 30_000 });
    expect(new Set(statuses.map((s) => s.digest)).size).toBe(1);
    const reader = this.cluster.client(5000);
    const listed = new Set<string>();
    for (const q of this.load.conversations) {
      for (const id of await historyEverywhere(reader, q, this.names.length)) listed.add(id);
    }
    expect(acked.filter((id) => !listed.has(id))).toEqual([]);
    expect(listed.size).toBe(statuses[0]!.count);
    return acked.length;
  }

  async stop(): Promise<void> {
    await this.load.stop();
    await this.cluster.stop();
  }
}
