/**
 * End to end: the reference server with real server processes. Ranks are
 * stable across a ref restart (servers re-register by themselves), a killed
 * server leaves `list`, bad input gets an error reply, and Lamport clocks
 * grow across every hop (server → ref, client → broker → server, status
 * tool → server peer endpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { decode, encode } from "../shared/wire/codec.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { RpcClient } from "../shared/wire/rpc-client.ts";
import { Request } from "../shared/zmq/index.ts";
import { Cluster } from "./helpers/cluster.ts";
import type { Listed } from "./helpers/control-plane.ts";
import { eventually } from "./helpers/eventually.ts";

const HB = ["--heartbeat-ms", "500"];
let cluster: Cluster;
let ref: RpcClient;
const clock = new LamportClock();

async function list(): Promise<Listed[]> {
  const r = await ref.request("list");
  return r.data.list as Listed[];
}

/** Polls the ref's list until `pred` holds (or fails after `timeoutMs`). */
function listUntil(pred: (l: Listed[]) => boolean, timeoutMs = 15_000): Promise<Listed[]> {
  return eventually(
    async () => {
      const l = await list();
      if (!pred(l)) throw new Error(`list is ${JSON.stringify(l)}`);
      return l;
    },
    { timeoutMs, intervalMs: 200, what: "the expected list" },
  );
}

const ranks = (l: Listed[]) => Object.fromEntries(l.map((s) => [s.name, s.rank]));

beforeAll(async () => {
  cluster = await Cluster.start({ brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
  await cluster.startRef(["--data-dir", cluster.dataDir, ...HB]);
  ref = new RpcClient({ endpoint: cluster.endpoint("ref"), clock, timeoutMs: 2000, retries: 1, security: cluster.trust.member() });
  for (const name of ["server1", "server2", "server3"]) await cluster.startServer(name, HB);
});
afterAll(async () => {
  ref?.close();
  await cluster?.stop();
});

describe("reference server", () => {
  it("lists every live server with its rank and peer address", async () => {
    const l = await listUntil((l) => l.length === 3);
    expect(ranks(l)).toEqual({ server1: 1, server2: 2, server3: 3 });
    for (const s of l) expect(s.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers rank with the same rank for the same name, and the next one for a new name", async () => {
    expect((await ref.request("rank", { user: "server2" })).data.rank).toBe(2);
    expect((await ref.request("rank", { user: "newcomer" })).data.rank).toBe(4);
    expect((await ref.request("rank", { user: "newcomer" })).data.rank).toBe(4);
  });

  it("every reply carries a Lamport clock above the request's", async () => {
    const sent = clock.value + 1;
    const r = await ref.request("heartbeat", { user: "newcomer" });
    expect(r.data.status).toBeUndefined();
    expect(r.data.clock).toBeGreaterThan(sent);
    expect(typeof r.data.timestamp).toBe("number");
  });

  it("answers bad input with an error and keeps serving", async () => {
    const bad = [
      { service: "heartbeat", data: { user: "never-ranked" } },
      { service: "rank", data: {} },
      { service: "rank", data: { user: " padded" } },
      { service: "login", data: { user: "ana" } },
      { service: "nope", data: {} },
    ];
    for (const b of bad) {
      const r = await ref.request(b.service, b.data);
      expect(r.data.status).toBe("erro");
      expect(typeof r.data.description).toBe("string");
    }
    const sock = new Request({ receiveTimeout: 3000, linger: 0, ...cluster.trust.member() });
    try {
      sock.connect(cluster.endpoint("ref"));
      for (const frames of [[Buffer.from([0xc1])], [encode([1, 2, 3])], [encode({ a: 1 }), encode({ b: 2 })]]) {
        await sock.send(frames);
        const [reply] = await sock.receive();
        const r = decode(reply!) as { service: string; data: Record<string, unknown> };
        expect(r.service).toBe("error");
        expect(r.data.status).toBe("erro");
      }
    } finally {
      sock.close();
    }
    expect((await list()).length).toBeGreaterThanOrEqual(3);
  });

  it("keeps ranks across a restart, and servers register again by themselves", async () => {
    await cluster.ref!.stop();
    await Bun.sleep(1000); // a few missed heartbeats
    await cluster.startRef(["--data-dir", cluster.dataDir, ...HB]);
    const l = await listUntil((l) => l.length === 3);
    expect(ranks(l)).toEqual({ server1: 1, server2: 2, server3: 3 });
    expect((await ref.request("rank", { user: "newcomer" })).data.rank).toBe(4);
    expect(cluster.servers.get("server2")!.grep(/registered with the ref: rank 2/).length).toBeGreaterThanOrEqual(2);
  });

  it("drops a killed server from the list", async () => {
    await cluster.servers.get("server2")!.stop("SIGKILL");
    const l = await listUntil((l) => !l.some((s) => s.name === "server2"));
    // Other names registered by earlier tests may still be listed; the servers are what count.
    const names = l.map((s) => s.name);
    expect(names).toContain("server1");
    expect(names).toContain("server3");
    expect(names).not.toContain("server2");
  });
});

describe("Lamport clocks across hops", () => {
  it("grow through client → broker → server and tool → server peer endpoint", async () => {
    const c = cluster.client();
    const sent = c.clock.value + 1;
    const r = await c.request("login", { user: "ana" });
    expect(r.data.status).toBe("sucesso");
    expect(r.data.clock).toBeGreaterThan(sent);

    const s1 = (await list()).find((s) => s.name === "server1")!;
    const peer = new RpcClient({ endpoint: s1.address!, clock, timeoutMs: 2000, retries: 1, security: cluster.trust.member() });
    try {
      const before = clock.value + 1;
      const st = await peer.request("status");
      expect(st.data.name).toBe("server1");
      expect(st.data.clock).toBeGreaterThan(before);
    } finally {
      peer.close();
    }
  });

  it("never go backwards in any server's or the ref's log", () => {
    for (const p of [...cluster.servers.values(), cluster.ref!]) {
      const values = p.stdout.map((l) => /\bL=(\d+)\b/.exec(l)?.[1]).filter((v) => v !== undefined).map(Number);
      expect(values.length).toBeGreaterThan(5);
      let max = 0;
      let drops = 0;
      for (const v of values) {
        if (v < max) drops++;
        max = Math.max(max, v);
      }
      expect(drops).toBe(0);
    }
  });
});
