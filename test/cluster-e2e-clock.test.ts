/**
 * End to end: physical clock synchronisation with real processes. Three
 * servers start with skews of up to ±1 s; the coordinator's Berkeley rounds
 * bring their clocks within 50 ms of each other; followers correct
 * themselves against the coordinator (Cristian) after every 10 requests;
 * every adjustment is logged; the status tool shows the view and fails
 * clearly when the ref is down.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { offsetSpread as spread, settledOn } from "./helpers/control-plane.ts";

const ARGS = ["--heartbeat-ms", "500", "--sync-ms", "1000"];
const SKEWS: Record<string, number> = { server1: 900, server2: -800, server3: 300 };
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
  await cluster.startRef(["--data-dir", cluster.dataDir, "--heartbeat-ms", "500", "--quiet"]);
  for (const [name, skew] of Object.entries(SKEWS)) await cluster.startServer(name, [...ARGS, "--skew", String(skew)]);
});
afterAll(async () => {
  await cluster?.stop();
});

describe("clock synchronisation", () => {
  it("brings skewed server clocks within 50 ms of each other", async () => {
    await cluster.control.until(settledOn("server3", Object.keys(SKEWS)));
    // All servers share this host's clock, so their offsets are directly comparable.
    const s = await cluster.control.until((s) => s.length === 3 && spread(s) < 50);
    expect(spread(s)).toBeLessThan(50);
    const coordinator = cluster.servers.get("server3")!;
    expect(coordinator.grep(/Berkeley round: offsets/).length).toBeGreaterThan(0);
    for (const name of ["server1", "server2"]) {
      expect(cluster.servers.get(name)!.grep(/clock [+-]\d+ ms \(Berkeley adjustment from server3\)/).length).toBeGreaterThan(0);
    }
  });

  it("has followers correct themselves against the coordinator every 10 requests", async () => {
    const c = cluster.client();
    for (let i = 0; i < 45; i++) expect(Array.isArray((await c.request("channels")).data.channels)).toBe(true);
    const corrected = ["server1", "server2"].filter(
      (n) => cluster.servers.get(n)!.grep(/\(Cristian against server3, rtt \d+ ms\)/).length > 0,
    );
    expect(corrected.length).toBeGreaterThan(0);
    const s = await cluster.control.until((s) => s.length === 3 && spread(s) < 50);
    expect(spread(s)).toBeLessThan(50);
  });

  it("refuses clock adjustments that are malformed or not from the coordinator", async () => {
    const list = await cluster.control.list();
    const s1 = list.find((s) => s.name === "server1")!;
    const peer = cluster.control.client(s1.address!);
    const before = (await cluster.control.status(s1.address!)).offset;
    for (const data of [{ adjustMs: "5", name: "server3" }, { adjustMs: 1e12, name: "server3" }, { adjustMs: 5, name: "intruder" }, { adjustMs: 5 }]) {
      const r = await peer.request("clock-adjust", data);
      expect(r.data.status).toBe("erro");
      expect(typeof r.data.description).toBe("string");
    }
    const after = (await cluster.control.status(s1.address!)).offset;
    // Only the coordinator's own rounds may have moved it meanwhile, by a few ms at most.
    expect(Math.abs(after - before)).toBeLessThan(50);
    const clock = await peer.request("clock");
    expect(typeof clock.data.time).toBe("number");
  });

  it("shows each server's offset against the coordinator in the status tool", async () => {
    const p = cluster.spawn("status", ["--once", "--json"]);
    expect(await p.exited).toBe(0);
    const view = JSON.parse(p.stdout.join("\n")) as {
      servers: { name: string; vsCoordinator: number | null; digest: string; count: number }[];
    };
    expect(view.servers).toHaveLength(3);
    for (const s of view.servers) {
      expect(typeof s.vsCoordinator).toBe("number");
      expect(typeof s.digest).toBe("string");
    }
    const table = cluster.spawn("status", ["--once"]);
    expect(await table.exited).toBe(0);
    expect(table.stdout.join("\n")).toMatch(/server3\s+3\s+tcp:\/\/127\.0\.0\.1:\d+\s+\*/);
  });

  it("status fails clearly when the ref is down", async () => {
    await cluster.ref!.stop();
    const p = cluster.spawn("status", ["--once", "--timeout", "500"]);
    expect(await p.exited).toBe(1);
    expect(p.stdout.join("\n")).toMatch(/ref tcp:\/\/127\.0\.0\.1:\d+: no reply/);
  });
});
