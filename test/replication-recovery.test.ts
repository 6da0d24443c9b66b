/**
 * Anti-entropy and the acknowledgement rule over real processes: a server
 * killed during writes catches up after its restart; a server restarted
 * with an empty disk catches up the whole history under a new origin; both
 * before they take requests again; with
 * its only peer gone, a server acknowledges on local durability.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import type { TestClient } from "./helpers/chat-client.ts";
import { originServer } from "../shared/server/origin.ts";
import { eventually } from "./helpers/eventually.ts";
import { historyEverywhere, statuses, waitConverged, waitPeers } from "./helpers/replicas.ts";

const clusters: Cluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

async function startCluster(servers: string[]): Promise<Cluster> {
  const c = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
  clusters.push(c);
  for (const s of servers) await c.startServer(s);
  await waitPeers(c, servers, servers.length - 1);
  return c;
}

/**
 * Publishes until OK (a request may hit a server that died, or one that has
 * not seen the login yet; a timed-out one is retried with the same id).
 */
async function publishOk(c: TestClient, user: string, channel: string, id: string): Promise<void> {
  await eventually(
    async () => expect((await c.request("publish", { user, channel, message: `text of ${id}`, id })).data.status).toBe("OK"),
    { timeoutMs: 30_000, intervalMs: 30, what: `publish ${id} acknowledged` },
  );
}

describe("anti-entropy", () => {
  test("a killed server catches up after restart; a wiped one catches up everything", async () => {
    const names = ["server1", "server2", "server3"];
    const cluster = await startCluster(names);
    const c = cluster.client(1500);
    await c.request("login", { user: "ana" });
    await c.request("channel", { channel: "ae" });
    await waitConverged(cluster, names);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) await publishOk(c, "ana", "ae", `before-${i}`).then(() => ids.push(`before-${i}`));

    // kill -9 server2, keep writing, restart it.
    expect((await cluster.status("server2")).count).toBeLessThanOrEqual(10);
    cluster.servers.get("server2")!.proc.kill("SIGKILL");
    await cluster.servers.get("server2")!.exited;
    for (let i = 0; i < 20; i++) await publishOk(c, "ana", "ae", `down-${i}`).then(() => ids.push(`down-${i}`));
    await cluster.startServer("server2");
    // It takes requests ("up") only once it caught up with its peers: at once it holds the 20 it missed too.
    expect((await cluster.status("server2")).count).toBe(ids.length);
    await waitConverged(cluster, names, { minCount: ids.length });
    expect(await historyEverywhere(c, { channel: "ae" }, names.length)).toEqual(ids);

    // Wipe server3's disk and restart it: it gets a new origin and the whole history.
    await cluster.stopServer("server3");
    await rm(join(cluster.dataDir, "server3"), { recursive: true, force: true });
    for (let i = 0; i < 10; i++) await publishOk(c, "ana", "ae", `wiped-${i}`).then(() => ids.push(`wiped-${i}`));
    await cluster.startServer("server3");
    expect((await cluster.status("server3")).count).toBe(ids.length);
    await waitConverged(cluster, names, { minCount: ids.length, peers: 2 });
    // The new incarnation writes under a new origin (its old records keep theirs), and replicates like any other.
    for (let i = 0; i < 10; i++) await publishOk(c, "ana", "ae", `new-${i}`).then(() => ids.push(`new-${i}`));
    const final = await waitConverged(cluster, names, { minCount: ids.length });
    const server3Origins = Object.keys(final[0]!.vector).filter((o) => originServer(o) === "server3");
    expect(server3Origins).toHaveLength(2);
    expect(await historyEverywhere(c, { channel: "ae" }, names.length)).toEqual(ids);
  }, 90_000);
});

describe("acknowledgement rule", () => {
  test("with its only peer dead and gone from the list, a server acknowledges on local durability", async () => {
    const names = ["solo1", "solo2"];
    const cluster = await startCluster(names);
    const c = cluster.client(3000);
    await c.request("login", { user: "rui" });
    await c.request("channel", { channel: "ack" });
    await waitConverged(cluster, names);
    await publishOk(c, "rui", "ack", "pair-1");
    // Both hold it the moment it is acknowledged: it is the only message.
    expect((await statuses(cluster, names)).map((s) => s.count)).toEqual([1, 1]);

    cluster.servers.get("solo2")!.proc.kill("SIGKILL");
    await cluster.servers.get("solo2")!.exited;
    await waitPeers(cluster, ["solo1"], 0);
    const r = await c.request("publish", { user: "rui", channel: "ack", message: "alone", id: "alone-1" });
    expect(r.data.status).toBe("OK");
    expect((await cluster.status("solo1")).count).toBe(2);

    // Back again, solo2 receives what it missed.
    await cluster.startServer("solo2");
    await waitConverged(cluster, names, { minCount: 2, peers: 1 });
    expect(await historyEverywhere(c, { channel: "ack" }, names.length)).toEqual(["pair-1", "alone-1"]);
  }, 60_000);
});
