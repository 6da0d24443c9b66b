/**
 * Replication across real server processes: a write accepted by any server
 * is in every server's history, in the same order, with the same digest;
 * and an OK means another live server already holds the write on disk.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { historyIds, holds, waitConverged, waitPeers } from "./helpers/replicas.ts";

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
      for (let attempt = 0; ; attempt++) {
        const r = await c.request("publish", { user: "ana", channel: "geral", message: `hello ${i}`, id: `basic-${i}` });
        if (r.data.status === "OK") break;
        expect(attempt).toBeLessThan(50);
        await Bun.sleep(20);
      }
      ids.push(`basic-${i}`);
    }
    const statuses = await waitConverged(cluster, SERVERS, { minCount: 30 });
    expect(new Set(statuses.map((s) => s.digest)).size).toBe(1);
    // Every server holds every message, and lists them in the same order.
    const lists = SERVERS.map((s) => historyIds(cluster, s));
    for (const l of lists) {
      expect(l).toEqual(lists[0]!);
      for (const id of ids) expect(l).toContain(id);
    }
    // Through the broker, every server answers history identically.
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push((await c.request("history", { channel: "geral", limit: 100 })).data.messages);
    for (const p of pages) expect(p).toEqual(pages[0]);
    expect((pages[0] as unknown[]).length).toBe(30);
  }, 60_000);

  test("an OK means at least one other server already holds the message", async () => {
    const c = cluster.client(5000);
    await c.request("login", { user: "bia" });
    await c.request("channel", { channel: "acks" });
    await waitConverged(cluster, SERVERS);
    for (let i = 0; i < 15; i++) {
      const id = `ack-${i}`;
      const r = await c.request("publish", { user: "bia", channel: "acks", message: `m ${i}`, id });
      expect(r.data.status).toBe("OK");
      // Read the databases right after the OK, before any periodic catch-up could help.
      const holders = SERVERS.filter((s) => holds(cluster, s, id));
      expect(holders.length).toBeGreaterThanOrEqual(2);
    }
  }, 60_000);

  test("a malformed replication request is refused and the server keeps serving", async () => {
    const { RpcClient } = await import("../shared/wire/rpc-client.ts");
    const { LamportClock } = await import("../shared/cluster/lamport.ts");
    const { peerAddressOf } = await import("./helpers/replicas.ts");
    const rpc = new RpcClient({ endpoint: peerAddressOf(cluster.servers.get("server1")!), clock: new LamportClock(), retries: 0 });
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
