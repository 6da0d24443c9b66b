/**
 * End to end: the Bully election with real processes. A subscriber to
 * `servers` that joined before any server started sees the first
 * announcement; the highest rank ends up coordinator; killing coordinators
 * one after another announces a new one each time; a restarted
 * higher-ranked server takes the role back. After each step exactly one
 * server calls itself coordinator and every server names it.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { AnnouncementWatcher, settledOn } from "./helpers/control-plane.ts";

const HB = ["--heartbeat-ms", "500"];
let cluster: Cluster;
let watcher: AnnouncementWatcher;
let serversStartedAt = 0;

beforeAll(async () => {
  cluster = await Cluster.start({ brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
  await cluster.startRef(["--data-dir", cluster.dataDir, ...HB, "--quiet"]);
  // Subscribed before any publisher exists: the proxy must pass the subscription on.
  watcher = new AnnouncementWatcher(cluster.endpoint("proxyXpub"), cluster.trust.member());
  serversStartedAt = Date.now();
  for (const name of ["server1", "server2", "server3"]) await cluster.startServer(name, HB);
});
afterAll(async () => {
  watcher?.close();
  await cluster?.stop();
});

describe("Bully election", () => {
  it("announces a first coordinator within a few seconds, seen by an early subscriber", async () => {
    const first = await watcher.waitFor(null, 0, 20_000);
    expect(["server1", "server2", "server3"]).toContain(first.coordinator);
    expect(first.at - serversStartedAt).toBeLessThan(10_000);
  });

  it("settles on the highest rank, with exactly one coordinator", async () => {
    const s = await cluster.control.until(settledOn("server3", ["server1", "server2", "server3"]));
    expect(s.find((x) => x.name === "server3")!.rank).toBe(3);
    await watcher.waitFor("server3");
    for (const name of ["server1", "server2"]) {
      expect(cluster.servers.get(name)!.grep(/coordinator: .* -> server3/).length).toBeGreaterThan(0);
    }
  });

  it("announces a new coordinator when the coordinator is killed", async () => {
    const from = watcher.seen.length;
    await cluster.servers.get("server3")!.stop("SIGKILL");
    const a = await watcher.waitFor("server2", from);
    expect(a.clock).toBeGreaterThan(0);
    await cluster.control.until(settledOn("server2", ["server1", "server2"]));
  });

  it("elects again after a second failure in a row", async () => {
    const from = watcher.seen.length;
    await cluster.servers.get("server2")!.stop("SIGKILL");
    await watcher.waitFor("server1", from);
    await cluster.control.until(settledOn("server1", ["server1"]));
  });

  it("gives the role back to a restarted higher-ranked server", async () => {
    const from = watcher.seen.length;
    await cluster.startServer("server3", HB);
    await watcher.waitFor("server3", from);
    await cluster.control.until(settledOn("server3", ["server1", "server3"]));
    await cluster.startServer("server2", HB);
    const s = await cluster.control.until(settledOn("server3", ["server1", "server2", "server3"]));
    expect(s.map((x) => x.rank).sort()).toEqual([1, 2, 3]);
  });

  it("shows the same picture in the status tool", async () => {
    const p = cluster.spawn("status", ["--once", "--json"]);
    expect(await p.exited).toBe(0);
    const view = JSON.parse(p.stdout.join("\n")) as { servers: { name: string; isCoordinator: boolean; rank: number }[] };
    expect(view.servers.map((s) => s.name)).toEqual(["server1", "server2", "server3"]);
    expect(view.servers.filter((s) => s.isCoordinator).map((s) => s.name)).toEqual(["server3"]);
  });
});
