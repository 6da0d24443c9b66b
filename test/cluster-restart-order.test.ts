/**
 * One order across restarts: post, stop every role (ref, broker, proxy and
 * all servers), start every role again on the same data, post from a fresh
 * client whose Lamport clock starts at 0, and the newest message is last in
 * `history` on every server. A server that restarts resumes its clock from
 * what it stores, so nothing posted later can sort before older messages.
 */
import { afterAll, expect, test } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { historyPage, waitConverged, waitPeers } from "./helpers/replicas.ts";

let cluster: Cluster | undefined;
afterAll(() => cluster?.stop());

const names = ["server1", "server2"];

async function startAll(c: Cluster): Promise<void> {
  await Promise.all([c.startBroker(), c.startProxy(), c.startRef()]);
  for (const s of names) await c.startServer(s);
  await waitPeers(c, names, 1);
}

test("after a whole-cluster restart the newest message is last in history on every server", async () => {
  cluster = await Cluster.start({ ref: true, extraArgs: ["--heartbeat-ms", "200"] });
  for (const s of names) await cluster.startServer(s);
  await waitPeers(cluster, names, 1);

  const before = cluster.client();
  expect((await before.request("login", { user: "ana" })).data.status).toBe("sucesso");
  expect((await before.request("channel", { channel: "geral" })).data.status).toBe("sucesso");
  for (let i = 0; i < 20; i++) {
    expect((await before.request("publish", { user: "ana", channel: "geral", message: `before ${i}` })).data.status).toBe("OK");
  }
  await waitConverged(cluster, names, { minCount: 20 });
  before.close();

  // Stop everything, so no process keeps a high clock for the others to take.
  await Promise.all(cluster.processes.map((p) => p.stop("SIGTERM", 3000)));
  await startAll(cluster);

  const after = cluster.client();
  const reply = await after.request("publish", { user: "ana", channel: "geral", message: "after the restart" });
  expect(reply.data.status).toBe("OK");
  const newest = reply.data.id as string;
  // The same messages everywhere (equal digests), so the same order on every replica.
  await waitConverged(cluster, names, { minCount: 21 });

  // Through the broker: requests go round-robin, so several reach every server.
  for (let i = 0; i < 6; i++) {
    const page = await historyPage(after, { channel: "geral" }, 3);
    expect(page.map((m) => m.message)).toEqual(["before 18", "before 19", "after the restart"]);
    expect(page.at(-1)!.id).toBe(newest);
  }
}, 90_000);
