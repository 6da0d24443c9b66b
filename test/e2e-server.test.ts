/**
 * End to end: real broker, proxy and server processes over real sockets.
 * Every client service, each error reply with its exact fields, deliveries
 * with exact topics, bad input, history across a restart, round-robin over
 * three servers, and clean exits on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { decode, encode } from "../shared/wire/codec.ts";
import { Dealer } from "../shared/zmq/index.ts";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { spawnRole } from "./helpers/process.ts";
import type { TestClient } from "./helpers/chat-client.ts";

let cluster: Cluster;
let c: TestClient;

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"] });
  c = cluster.client();
});
afterAll(async () => {
  await cluster?.stop();
});

/** Asserts the server is still serving (after some bad input). */
async function stillServing(): Promise<void> {
  const r = await c.request("channels");
  expect(Array.isArray(r.data.channels)).toBe(true);
}

describe("client services", () => {
  it("login succeeds, again too, and users lists the name", async () => {
    const sent = c.clock.value + 1;
    const r = await c.request("login", { user: "ana" });
    expect(r.service).toBe("login");
    expect(r.data.status).toBe("sucesso");
    expect(r.data.description).toBeUndefined();
    expect(r.data.clock).toBeGreaterThan(sent);
    expect(typeof r.data.timestamp).toBe("number");
    expect((await c.request("login", { user: "ana" })).data.status).toBe("sucesso");
    await c.request("login", { user: "bob" });
    const users = await c.request("users");
    expect(users.service).toBe("users");
    expect(users.data.users).toEqual(expect.arrayContaining(["ana", "bob"]));
    expect((users.data.users as string[]).filter((u) => u === "ana")).toHaveLength(1);
  });

  it("channel creates once; the second time is an erro with a description", async () => {
    const r = await c.request("channel", { channel: "geral" });
    expect(r.data).toMatchObject({ status: "sucesso" });
    const again = await c.request("channel", { channel: "geral" });
    expect(again.service).toBe("channel");
    expect(again.data).toMatchObject({ status: "erro", description: "channel 'geral' already exists" });
    const list = await c.request("channels");
    expect(list.data.channels).toContain("geral");
  });

  it("publish delivers on the channel topic and replies OK with the id", async () => {
    c.subscribe("geral");
    await c.sync("sync-a");
    const r = await c.request("publish", { user: "ana", channel: "geral", message: "olá a todos" });
    expect(r.service).toBe("publish");
    expect(r.data.status).toBe("OK");
    const d = await c.waitDelivery((p) => p.payload.data.message === "olá a todos");
    expect(d.topic).toBe("geral");
    expect(d.payload.service).toBe("publish");
    expect(d.payload.data).toMatchObject({ user: "ana", channel: "geral", id: r.data.id });
    expect(typeof d.payload.data.clock).toBe("number");
    expect(typeof d.payload.data.timestamp).toBe("number");
  });

  it("message delivers on the destination user's topic", async () => {
    c.subscribe("bob");
    await c.sync("sync-b");
    const r = await c.request("message", { src: "ana", dst: "bob", message: "oi bob" });
    expect(r.service).toBe("message");
    expect(r.data.status).toBe("OK");
    const d = await c.waitDelivery((p) => p.payload.data.message === "oi bob");
    expect(d.topic).toBe("bob");
    expect(d.payload.service).toBe("message");
    expect(d.payload.data).toMatchObject({ src: "ana", dst: "bob", id: r.data.id });
  });

  it("publish and message errors carry the text in `message`", async () => {
    const p = await c.request("publish", { user: "ana", channel: "nope", message: "x" });
    expect(p.service).toBe("publish");
    expect(p.data).toMatchObject({ status: "erro", message: "channel 'nope' does not exist" });
    const m = await c.request("message", { src: "ana", dst: "ghost", message: "x" });
    expect(m.service).toBe("message");
    expect(m.data).toMatchObject({ status: "erro", message: "user 'ghost' does not exist" });
    const u = await c.request("publish", { user: "stranger", channel: "geral", message: "x" });
    expect(u.data).toMatchObject({ status: "erro", message: "user 'stranger' is unknown (log in first)" });
  });

  it("history lists a channel and a private conversation, oldest first", async () => {
    await c.request("publish", { user: "bob", channel: "geral", message: "segunda" });
    const h = await c.request("history", { channel: "geral" });
    expect(h.service).toBe("history");
    expect(h.data.status).toBe("OK");
    const texts = (h.data.messages as { message: string }[]).map((m) => m.message);
    expect(texts).toEqual(["olá a todos", "segunda"]);
    const pm = await c.request("history", { user: "bob", peer: "ana" });
    expect((pm.data.messages as { message: string }[]).map((m) => m.message)).toEqual(["oi bob"]);
    const one = await c.request("history", { channel: "geral", limit: 1 });
    expect((one.data.messages as { message: string }[]).map((m) => m.message)).toEqual(["segunda"]);
    const bad = await c.request("history", { channel: "nowhere" });
    expect(bad.data).toMatchObject({ status: "erro", description: "channel 'nowhere' does not exist" });
  });

  it("a retried publish (same client id) is stored and delivered once", async () => {
    const req = { user: "ana", channel: "geral", message: "só uma vez", id: "retry-1" };
    const a = await c.request("publish", req);
    const b = await c.request("publish", req);
    expect(a.data).toMatchObject({ status: "OK", id: "retry-1" });
    expect(b.data).toMatchObject({ status: "OK", id: "retry-1" });
    // A later publication on the same topic arrives after any second copy would have.
    await c.request("publish", { user: "ana", channel: "geral", message: "marcador" });
    await c.waitDelivery((p) => p.payload.data.message === "marcador");
    expect(c.deliveries.filter((p) => p.payload.data.id === "retry-1")).toHaveLength(1);
    const h = await c.request("history", { channel: "geral" });
    expect((h.data.messages as { id: string }[]).filter((m) => m.id === "retry-1")).toHaveLength(1);
  });

  it("a subscriber to 'ana' receives 'anabela' from ZeroMQ but does not show it", async () => {
    await c.request("login", { user: "anabela" });
    c.subscribe("ana");
    await c.sync("sync-c");
    await c.request("message", { src: "bob", dst: "anabela", message: "para anabela" });
    await c.request("message", { src: "bob", dst: "ana", message: "para ana" });
    const d = await c.waitDelivery((p) => p.payload.data.message === "para ana");
    expect(d.topic).toBe("ana");
    expect(c.receivedTopics).toContain("anabela"); // the prefix match did happen on the socket
    expect(c.deliveries.some((p) => p.topic === "anabela")).toBe(false);
  });
});

describe("bad input gets an erro reply and the server keeps serving", () => {
  const cases: [string, Record<string, unknown>, string, string, string][] = [
    ["missing field", { service: "login", data: {} }, "login", "description", "missing field 'user'"],
    ["mistyped field", { service: "login", data: { user: 42 } }, "login", "description", "user must be a string"],
    ["reserved name", { service: "channel", data: { channel: "servers" } }, "channel", "description", "channel 'servers' is a reserved name"],
    ["data not a map", { service: "channel", data: [1, 2] }, "channel", "description", "'data' must be a map"],
    ["mistyped text", { service: "publish", data: { user: "ana", channel: "geral", message: 5 } }, "publish", "message", "message must be a string"],
    ["missing dst", { service: "message", data: { src: "ana", message: "x" } }, "message", "message", "missing field 'dst'"],
    ["unknown service", { service: "dance", data: {} }, "dance", "description", "unknown service 'dance'"],
    ["no service", { data: { user: "ana" } }, "error", "description", "request has no valid 'service' string"],
    ["election via broker", { service: "election", data: {} }, "election", "description", "service 'election' is only served between servers"],
    ["clock via broker", { service: "clock", data: {} }, "clock", "description", "service 'clock' is only served between servers"],
  ];
  it.each(cases)("%s", async (_name, body, service, field, text) => {
    const r = await c.requestRaw([encode(body)]);
    expect(r.service).toBe(service);
    expect(r.data.status).toBe("erro");
    expect(r.data[field]).toBe(text);
    expect(typeof r.data.clock).toBe("number");
    await stillServing();
  });

  it("a frame that is not MessagePack", async () => {
    const r = await c.requestRaw([Buffer.from([0xc1, 0xff, 0x00])]);
    expect(r.service).toBe("error");
    expect(r.data.status).toBe("erro");
    expect(String(r.data.description)).toStartWith("not a MessagePack map");
    await stillServing();
  });

  it("a MessagePack value that is not a map", async () => {
    const r = await c.requestRaw([encode([1, 2, 3])]);
    expect(r.service).toBe("error");
    expect(r.data).toMatchObject({ status: "erro", description: "request must be a map {service, data}" });
    await stillServing();
  });

  it("a multipart request body", async () => {
    const login = encode({ service: "login", data: { user: "ana" } });
    const r = await c.requestRaw([login, login]);
    expect(r.service).toBe("error");
    expect(r.data).toMatchObject({ status: "erro", description: "a request is exactly one frame, got 2" });
    await stillServing();
  });

  it("a 1 MiB message text", async () => {
    const r = await c.request("publish", { user: "ana", channel: "geral", message: "x".repeat(1 << 20) });
    expect(r.service).toBe("publish");
    expect(r.data).toMatchObject({ status: "erro", message: "message is longer than 65536 bytes" });
    const h = await c.request("history", { channel: "geral" });
    expect((h.data.messages as { message: string }[]).every((m) => m.message.length < 1000)).toBe(true);
    await stillServing();
  });
});

describe("DEALER clients", () => {
  it("are answered with or without the empty delimiter", async () => {
    const d = new Dealer({ receiveTimeout: 5000, linger: 0 });
    try {
      d.connect(cluster.endpoint("brokerFrontend"));
      await d.send(["", encode({ service: "login", data: { user: "dealer1", clock: 1 } })]);
      const [delim, withDelim] = await d.receive();
      expect(delim!.length).toBe(0);
      expect(decode(withDelim!)).toMatchObject({ service: "login", data: { status: "sucesso" } });
      await d.send([encode({ service: "channels", data: {} })]);
      const bare = await d.receive();
      expect(bare).toHaveLength(1);
      expect(decode(bare[0]!)).toMatchObject({ service: "channels", data: { channels: expect.arrayContaining(["geral"]) } });
    } finally {
      d.close();
    }
  });
});

describe("broker and proxy print what passes through them", () => {
  it("the broker shows each request and reply with its clock and fields", async () => {
    await c.request("login", { user: "logged-user" });
    const line = await cluster.broker!.waitFor(/<- client:[0-9a-f]+ login\s+user=logged-user/);
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3}\s+L=\d+\s+broker <- client:/);
    await cluster.broker!.waitFor(/-> client:[0-9a-f]+ login\s+status=sucesso/);
    // an undecodable body shows as its size
    await cluster.broker!.waitFor(/<- client:[0-9a-f]+ <3 bytes>/);
  });

  it("the proxy shows subscriptions and publications", async () => {
    await cluster.proxy!.waitFor(/subscribe "geral"/);
    const line = await cluster.proxy!.waitFor(/<- pub:geral publish\s+user=ana channel=geral/);
    expect(line).toMatch(/L=\d+\s+proxy <- pub:geral/);
  });
});

describe("restart", () => {
  it("history survives a server restart on the same data dir; SIGTERM exits 0", async () => {
    expect(await cluster.stopServer("server1")).toBe(0);
    const p = await cluster.startServer("server1");
    expect(p.grep(/up: .* [1-9]\d* records on disk/)).toHaveLength(1);
    const h = await c.request("history", { channel: "geral" });
    const texts = (h.data.messages as { message: string }[]).map((m) => m.message);
    expect(texts.slice(0, 2)).toEqual(["olá a todos", "segunda"]);
    expect((await c.request("users")).data.users).toEqual(expect.arrayContaining(["ana", "bob", "anabela"]));
  });
});

describe("three servers behind the broker", () => {
  it("each server answers some requests (round-robin)", async () => {
    await cluster.startServer("server2");
    await cluster.startServer("server3");
    const names = ["server1", "server2", "server3"];
    const answered = () => names.filter((n) => cluster.servers.get(n)!.grep(/<- broker login\s+user=rr-/).length > 0);
    // Keep asking until every server has answered one (a server that has
    // just connected joins the rotation once its handshake is done).
    let i = 0;
    await eventually(
      async () => {
        if (answered().length < names.length) expect((await c.request("login", { user: `rr-${i++}` })).data.status).toBe("sucesso");
        expect(answered()).toEqual(names);
      },
      { intervalMs: 0 },
    );
  });
});

describe("SIGTERM", () => {
  it("broker, proxy and servers exit with code 0", async () => {
    const codes = await Promise.all(cluster.processes.map(async (p) => [p.label, await p.stop("SIGTERM", 5000)]));
    expect(codes).toEqual(cluster.processes.map((p) => [p.label, 0]));
  });
});

describe("quiet broker and proxy", () => {
  it("forward traffic and print nothing", async () => {
    const q = await Cluster.start({ brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], servers: ["server1"] });
    try {
      const qc = q.client();
      await qc.request("login", { user: "quiet" });
      await qc.request("channel", { channel: "silence" });
      qc.subscribe("silence");
      await qc.sync("quiet-sync");
      await qc.request("publish", { user: "quiet", channel: "silence", message: "psst" });
      await qc.waitDelivery((p) => p.topic === "silence");
      expect(await q.broker!.stop()).toBe(0);
      expect(await q.proxy!.stop()).toBe(0);
      expect(q.broker!.output).toEqual([]);
      expect(q.proxy!.output).toEqual([]);
    } finally {
      await q.stop();
    }
  });
});

describe("bad command line", () => {
  it.each(["broker", "proxy"])("%s refuses an endpoint that is neither a port nor tcp://… with exit code 1", async (role) => {
    const p = spawnRole(role, ["--broker-frontend", "nonsense", "--proxy-xsub", "nonsense"]);
    try {
      await p.waitFor(/'nonsense' is neither a port nor an endpoint/, 10_000, "stderr");
      expect(await p.exited).toBe(1);
    } finally {
      await p.stop("SIGKILL");
    }
  });
});

describe("peer endpoint without a flag", () => {
  it("takes the first free port from 5560 up, so servers on one machine need no port flags", async () => {
    const q = await Cluster.start({ servers: [] });
    try {
      const start = (name: string) => q.spawn("server", ["--name", name, "--data-dir", q.dataDir, "--skew", "0"]);
      const [a, b] = [start("auto1"), start("auto2")];
      const port = async (p: typeof a) => Number(/up: peer tcp:\/\/[^:]+:(\d+)/.exec(await p.waitFor(/up: peer tcp:\/\/\S+:\d+/, 10_000))![1]);
      const [pa, pb] = [await port(a), await port(b)];
      expect(pa).not.toBe(pb);
      expect(Math.min(pa, pb)).toBeGreaterThanOrEqual(5560);
      expect(Math.max(pa, pb)).toBeLessThan(5600);
    } finally {
      await q.stop();
    }
  });
});
