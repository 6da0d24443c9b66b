/**
 * Replication across real server processes: a write accepted by any server
 * is in every server's history, in the same order, with the same digest;
 * and an OK means another live server already holds the write on disk.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { historyEverywhere, statuses, waitConverged, waitPeers } from "./helpers/replicas.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { RpcClient } from "../shared/wire/rpc-client.ts";

const SERVERS = ["server1", "server2", "server3"];
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
  for (const s of SERVERS) await cluster.startServer(s);
  await waitPeers(cluster, SERVERS, 2);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("replication", () => {
  test("every write reaches every server, in one order", async () => {
    const c = cluster.client(5000);
    expect((await c.request("login", { user: "ana" })).data.status).toBe("sucesso");
    expect((await c.request("channel", { channel: "geral" })).data.status).toBe("sucesso");
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      // Requests rotate over the servers; a write may land before its login/channel reached that server.
      await eventually(
        async () => {
          const r = await c.request("publish", { user: "ana", channel: "geral", message: `hello ${i}`, id: `basic-${i}` });
          expect(r.data.status).toBe("OK");
        },
        { timeoutMs: 5000, intervalMs: 20 },
      );
      ids.push(`basic-${i}`);
    }
    const converged = await waitConverged(cluster, SERVERS, { minCount: 30 });
    expect(converged.map((s) => [s.count, s.digest])).toEqual(SERVERS.map(() => [30, converged[0]!.digest]));
    // Every server holds every message and lists them in the order they were acknowledged.
    expect(await historyEverywhere(c, { channel: "geral" }, SERVERS.length)).toEqual(ids);
  }, 60_000);

  test("an OK means at least one other server already holds the message", async () => {
    const c = cluster.client(5000);
    await c.request("login", { user: "bia" });
    await c.request("channel", { channel: "acks" });
    const base = (await waitConverged(cluster, SERVERS))[0]!.count;
    for (let i = 0; i < 15; i++) {
      const r = await c.request("publish", { user: "bia", channel: "acks", message: `m ${i}`, id: `ack-${i}` });
      expect(r.data.status).toBe("OK");
      // Ask every server right after the OK, before any periodic catch-up could help. Nobody
      // else writes, so a server that counts every message so far holds this one.
      const counts = (await statuses(cluster, SERVERS)).map((s) => s.count);
      expect(counts.filter((n) => n >= base + i + 1).length).toBeGreaterThanOrEqual(2);
    }
  }, 60_000);

  test("a malformed replication request is refused and the server keeps serving", async () => {
    const rpc = new RpcClient({ endpoint: cluster.peerEndpoint("server1"), clock: new LamportClock(), retries: 0, security: cluster.trust.member() });
    try {
      const bad = [
        ["replicate", { from: "x", origin: "x", address: "tcp://127.0.0.1:1", records: "nope" }],
        ["replicate", { from: "x", origin: "x", address: "tcp://127.0.0.1:1", records: [{ origin: "x", seq: -1 }] }],
        ["replicated", { from: "x", origin: "x", ranges: [[5, 1]] }],
        ["fetch", { origin: 7, after: 0 }],
        ["fetch", { origin: "x", after: -3 }],
      ] as const;
      for (const [service, data] of bad) {
        const r = await rpc.request(service, data as Record<string, unknown>);
        if (service === "replicate" && Array.isArray((data as { records: unknown }).records)) {
          // A record the store refuses is skipped: nothing is acknowledged for it.
          expect(r.data.ranges).toEqual([]);
        } else {
          expect(r.data.status).toBe("erro");
        }
      }
      const ok = await rpc.request("fetch", { origin: "nobody", after: 0, limit: 5 });
      expect(ok.data.records).toEqual([]);
    } finally {
      rpc.close();
    }
  }, 30_000);
});
