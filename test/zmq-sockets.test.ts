import { afterEach, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Dealer,
  encodeFrame,
  encodeGreeting,
  proxy,
  Publisher,
  Pull,
  Push,
  readyFrame,
  Reply,
  Request,
  Router,
  Subscriber,
  XPublisher,
  XSubscriber,
  ZmtpError,
  type ZSocket,
} from "../shared/zmq/index.ts";

const open: ZSocket[] = [];
function track<T extends ZSocket>(s: T): T {
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Poll until `cond` holds (the test runner's timeout is the only limit). */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await Bun.sleep(5);
}
const str = (m: Buffer[]) => m.map((b) => b.toString());
async function bound<T extends ZSocket>(s: T): Promise<T> {
  await s.bind("tcp://127.0.0.1:0");
  return track(s);
}
function codeOf(e: unknown): string | undefined {
  return e instanceof ZmtpError ? e.code : undefined;
}

async function echoServer(rep: Reply): Promise<void> {
  for await (const m of rep) await rep.send(["re", ...m]);
}

describe("REQ/REP", () => {
  it("round-trips multipart messages with empty frames", async () => {
    const rep = await bound(new Reply());
    void echoServer(rep);
    const req = track(new Request());
    req.connect(rep.lastEndpoint!);
    await req.send("hello");
    expect(str(await req.receive())).toEqual(["re", "hello"]);
    await req.send(["a", "", Buffer.from([0, 1, 2]), new Uint8Array([3])]);
    const r = await req.receive();
    expect(str(r.slice(0, 3))).toEqual(["re", "a", ""]);
    expect([...r[3]!, ...r[4]!]).toEqual([0, 1, 2, 3]);
  });

  it("REQ rejects a second send before receive (EFSM)", async () => {
    const rep = await bound(new Reply());
    const req = track(new Request());
    req.connect(rep.lastEndpoint!);
    await req.send("one");
    expect(codeOf(await req.send("two").catch((e) => e))).toBe("EFSM");
    expect(str(await rep.receive())).toEqual(["one"]);
    expect(codeOf(await rep.send(["x"]).then(() => rep.send("again")).catch((e) => e))).toBe("EFSM");
    expect(str(await req.receive())).toEqual(["x"]);
    await req.send("three"); // alternation restored
  });

  it("receive rejects EAGAIN after receiveTimeout and ETERM on close", async () => {
    const rep = await bound(new Reply({ receiveTimeout: 30 }));
    expect(codeOf(await rep.receive().catch((e) => e))).toBe("EAGAIN");
    rep.receiveTimeout = -1;
    const pending = rep.receive().catch((e) => e);
    rep.close();
    expect(codeOf(await pending)).toBe("ETERM");
    expect(rep.closed).toBe(true);
  });

  it("REQ send waits for a peer that appears later", async () => {
    const probe = await bound(new Reply());
    const ep = probe.lastEndpoint!;
    probe.close();
    const req = track(new Request({ reconnectInterval: 20 }));
    req.connect(ep);
    const sent = req.send("late");
    const rep = track(new Reply());
    await rep.bind(ep);
    await sent;
    expect(str(await rep.receive())).toEqual(["late"]);
  });
});

describe("DEALER/ROUTER", () => {
  it("routes by identity and generated ids", async () => {
    const router = await bound(new Router());
    const d1 = track(new Dealer({ routingId: "d1" }));
    const d2 = track(new Dealer());
    d1.connect(router.lastEndpoint!);
    d2.connect(router.lastEndpoint!);
    await d1.send(["from-d1"]);
    await d2.send(["from-d2", "x"]);
    const got = [await router.receive(), await router.receive()];
    const m1 = got.find((m) => m[1]!.toString() === "from-d1")!;
    const m2 = got.find((m) => m[1]!.toString() === "from-d2")!;
    expect(m1[0]!.toString()).toBe("d1");
    expect(m2[0]!.length).toBe(5);
    expect(m2[0]![0]).toBe(0);
    await router.send([m2[0]!, "to-d2"]);
    await router.send(["d1", "to-d1", ""]);
    expect(str(await d2.receive())).toEqual(["to-d2"]);
    expect(str(await d1.receive())).toEqual(["to-d1", ""]);
  });

  it("mandatory ROUTER rejects unknown ids with EHOSTUNREACH; default drops", async () => {
    const router = await bound(new Router({ mandatory: true }));
    expect(codeOf(await router.send(["nobody", "x"]).catch((e) => e))).toBe("EHOSTUNREACH");
    router.mandatory = false;
    await router.send(["nobody", "x"]);
  });

  it("DEALER round-robins across REP peers", async () => {
    const a = await bound(new Reply());
    const b = await bound(new Reply());
    const dealer = track(new Dealer());
    dealer.connect(a.lastEndpoint!);
    dealer.connect(b.lastEndpoint!);
    await until(() => (dealer as any).peers.length === 2);
    for (let i = 0; i < 4; i++) await dealer.send(["", `m${i}`]);
    const ra = [str(await a.receive()), str(await a.receive())];
    const rb = [str(await b.receive()), str(await b.receive())];
    expect([...ra, ...rb].flat().sort()).toEqual(["m0", "m1", "m2", "m3"]);
  });
});

describe("PUB/SUB", () => {
  it("filters by prefix, unsubscribes, and resubscribes after a publisher restart", async () => {
    let pub = await bound(new Publisher());
    const ep = pub.lastEndpoint!;
    const sub = track(new Subscriber({ reconnectInterval: 20 }));
    sub.connect(ep);
    sub.subscribe("ana", "bob");
    // publish until the subscription has propagated
    const first = sub.receive();
    let got: Buffer[] | null = null;
    first.then((m) => (got = m));
    await until(async () => {
      await pub.send(["carl", "no"]);
      await pub.send(["anabela", "yes"]);
      return got !== null;
    });
    expect(str(got!)).toEqual(["anabela", "yes"]);
    sub.unsubscribe("ana");
    // after unsubscribing, only bob's messages arrive
    await until(async () => {
      await pub.send(["ana", "stale"]);
      await pub.send(["bob", "marker"]);
      const m = str(await sub.receive());
      return m[0] === "bob";
    });
    await pub.send(["ana", "dropped"]);
    await pub.send(["bob", "kept"]);
    let m = str(await sub.receive());
    while (m[1] === "marker") m = str(await sub.receive());
    expect(m).toEqual(["bob", "kept"]);

    pub.close();
    pub = track(new Publisher());
    await pub.bind(ep);
    const again = sub.receive();
    let got2: Buffer[] | null = null;
    again.then((x) => (got2 = x));
    await until(async () => {
      await pub.send(["bob", "after-restart"]);
      return got2 !== null;
    });
    expect(str(got2!)).toEqual(["bob", "after-restart"]);
  });

  it("drops for a subscriber that does not read; queues stay bounded", async () => {
    const pub = await bound(new Publisher({ sendHighWaterMark: 50 }));
    const sub = track(new Subscriber({ receiveHighWaterMark: 50 }));
    sub.connect(pub.lastEndpoint!);
    sub.subscribe();
    await until(() => (pub as any).subs.size === 1 && [...(pub as any).subs.values()][0].size === 1);
    const conn = [...(pub as any).subs.keys()][0];
    const payload = Buffer.alloc(8192, 1);
    const total = 20000; // 160 MB offered
    let maxQueued = 0;
    for (let i = 0; i < total; i++) {
      await pub.send(["t", payload]);
      maxQueued = Math.max(maxQueued, conn.queued);
      if (i % 50 === 49) await Bun.sleep(0);
    }
    expect(maxQueued).toBeLessThanOrEqual(50);
    const inbox = (sub as any).inbox.length;
    expect(inbox).toBeLessThan(1000);
    let received = 0;
    sub.receiveTimeout = 200;
    try {
      for (;;) {
        await sub.receive();
        received++;
      }
    } catch (e) {
      expect(codeOf(e)).toBe("EAGAIN");
    }
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(total);
  });
});

describe("proxies", () => {
  it("XSUB/XPUB proxy forwards subscriptions up and messages down", async () => {
    const pub = await bound(new Publisher());
    const xsub = track(new XSubscriber());
    xsub.connect(pub.lastEndpoint!);
    const xpub = await bound(new XPublisher());
    const done = proxy(xsub, xpub);
    const sub = track(new Subscriber());
    sub.connect(xpub.lastEndpoint!);
    sub.subscribe("news");
    let got: Buffer[] | null = null;
    sub.receive().then((m) => (got = m));
    await until(async () => {
      await pub.send(["weather", "no"]);
      await pub.send(["news", "yes"]);
      return got !== null;
    });
    expect(str(got!)).toEqual(["news", "yes"]);
    xpub.close();
    await done;
  });

  it("XPUB reports first subscribe and last unsubscribe only", async () => {
    const xpub = await bound(new XPublisher());
    const s1 = track(new Subscriber());
    const s2 = track(new Subscriber());
    s1.connect(xpub.lastEndpoint!);
    s1.subscribe("t");
    expect([...(await xpub.receive())[0]!]).toEqual([1, 0x74]);
    s2.connect(xpub.lastEndpoint!);
    s2.subscribe("t", "u");
    expect([...(await xpub.receive())[0]!]).toEqual([1, 0x75]); // "t" again is not reported
    s1.unsubscribe("t");
    s2.close(); // removes s2's "t" (last holder) and "u"
    const seen = new Set([(await xpub.receive())[0]!.toString("hex"), (await xpub.receive())[0]!.toString("hex")]);
    expect(seen).toEqual(new Set(["0074", "0075"]));
  });

  it("ROUTER/DEALER proxy carries REQ/REP traffic", async () => {
    const router = await bound(new Router());
    const dealer = await bound(new Dealer());
    const done = proxy(router, dealer);
    const rep = track(new Reply());
    rep.connect(dealer.lastEndpoint!);
    void echoServer(rep);
    const reqs = [0, 1, 2].map(() => track(new Request()));
    for (const r of reqs) r.connect(router.lastEndpoint!);
    const replies = await Promise.all(
      reqs.map(async (r, i) => {
        await r.send(`q${i}`);
        return str(await r.receive());
      }),
    );
    expect(replies).toEqual([["re", "q0"], ["re", "q1"], ["re", "q2"]]);
    router.close();
    await done;
  });
});

describe("PUSH/PULL", () => {
  it("round-robins to pullers and fair-queues from pushers", async () => {
    const p1 = await bound(new Pull());
    const p2 = await bound(new Pull());
    const push = track(new Push());
    push.connect(p1.lastEndpoint!);
    push.connect(p2.lastEndpoint!);
    await until(() => (push as any).peers.length === 2);
    for (let i = 0; i < 6; i++) await push.send(`${i}`);
    const a = [await p1.receive(), await p1.receive(), await p1.receive()].map((m) => m[0]!.toString());
    const b = [await p2.receive(), await p2.receive(), await p2.receive()].map((m) => m[0]!.toString());
    expect([...a, ...b].sort()).toEqual(["0", "1", "2", "3", "4", "5"]);
  });
});

describe("hostile peers", () => {
  /** Raw TCP client; resolves `closed` when the server hangs up. */
  async function raw(endpoint: string) {
    const port = Number(endpoint.split(":").pop());
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const chunks: Buffer[] = [];
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, d) => void chunks.push(Buffer.from(d)),
        close: () => resolveClosed(),
        end: () => resolveClosed(),
        error: () => resolveClosed(),
      },
    });
    return { sock, closed, chunks };
  }

  it("closes a garbage peer while REP keeps serving others", async () => {
    const rep = await bound(new Reply());
    void echoServer(rep);
    const bad = await raw(rep.lastEndpoint!);
    bad.sock.write("GET / HTTP/1.1\r\n\r\n");
    await bad.closed;
    const req = track(new Request());
    req.connect(rep.lastEndpoint!);
    await req.send("still there?");
    expect(str(await req.receive())).toEqual(["re", "still there?"]);
  });

  it("closes a peer that announces an oversized frame", async () => {
    const rep = await bound(new Reply({ maxMessageSize: 1000 }));
    void echoServer(rep);
    const bad = await raw(rep.lastEndpoint!);
    bad.sock.write(Buffer.concat([encodeGreeting(), readyFrame({ "Socket-Type": "REQ" })]));
    bad.sock.write(encodeFrame(Buffer.alloc(0), 1));
    bad.sock.write(encodeFrame(Buffer.alloc(2000)).subarray(0, 100)); // header says 2000 bytes
    await bad.closed;
    expect(bad.chunks.length).toBeGreaterThan(0); // it did get our greeting first
    const req = track(new Request());
    req.connect(rep.lastEndpoint!);
    await req.send("ok");
    expect(str(await req.receive())).toEqual(["re", "ok"]);
  });

  it("drops a peer that disconnects mid-frame without affecting others", async () => {
    const rep = await bound(new Reply());
    void echoServer(rep);
    const bad = await raw(rep.lastEndpoint!);
    bad.sock.write(Buffer.concat([encodeGreeting(), readyFrame({ "Socket-Type": "REQ" })]));
    bad.sock.write(encodeFrame(Buffer.alloc(0), 1));
    bad.sock.write(encodeFrame(Buffer.alloc(500)).subarray(0, 200));
    bad.sock.end();
    await bad.closed;
    await until(() => (rep as any).conns.size === 0);
    const req = track(new Request());
    req.connect(rep.lastEndpoint!);
    await req.send("after");
    expect(str(await req.receive())).toEqual(["re", "after"]);
  });

  it("refuses an incompatible socket type with an ERROR command", async () => {
    const rep = await bound(new Reply());
    const bad = await raw(rep.lastEndpoint!);
    bad.sock.write(Buffer.concat([encodeGreeting(), readyFrame({ "Socket-Type": "PUB" })]));
    await bad.closed;
    expect(Buffer.concat(bad.chunks).includes(Buffer.from("ERROR"))).toBe(true);
  });

  it("rejects a bind to an address in use", async () => {
    const a = await bound(new Reply());
    const b = track(new Reply());
    expect(codeOf(await b.bind(a.lastEndpoint!).catch((e) => e))).toBe("EADDRINUSE");
    expect(() => b.connect("nonsense")).toThrow(ZmtpError);
  });
});

describe("ZMTP 3.0 peers, ipc, linger", () => {
  it("speaks the 3.0 subscription form (data frames) to a 3.0 peer, both directions", async () => {
    // a raw "3.0 PUB": records what our SUB sends after the handshake
    const frames: { flags: number; body: string }[] = [];
    const g30 = encodeGreeting();
    g30[11] = 0;
    const listener = Bun.listen<any>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.write(Buffer.concat([g30, readyFrame({ "Socket-Type": "PUB" })]));
          s.data = Buffer.alloc(0);
        },
        data(s, chunk) {
          let b: Buffer = Buffer.concat([s.data as Buffer, chunk]);
          if (b.length >= 64 && !(s as any).greeted) {
            (s as any).greeted = true;
            b = b.subarray(64);
          }
          while ((s as any).greeted && b.length >= 2 && b.length >= 2 + b[1]!) {
            frames.push({ flags: b[0]!, body: b.subarray(2, 2 + b[1]!).toString("latin1") });
            b = b.subarray(2 + b[1]!);
          }
          s.data = b;
        },
      },
    });
    try {
      const sub = track(new Subscriber());
      sub.connect(`tcp://127.0.0.1:${listener.port}`);
      sub.subscribe("x");
      await until(() => frames.some((f) => f.flags === 0));
      expect(frames.find((f) => f.flags === 0)).toEqual({ flags: 0, body: "\x01x" });
      expect(frames.find((f) => f.flags === 4)!.body.slice(1, 6)).toBe("READY");
    } finally {
      listener.stop(true);
    }

    // a raw "3.0 SUB" subscribing with a data frame to our PUB
    const pub = await bound(new Publisher());
    const chunks: Buffer[] = [];
    const raw = await Bun.connect({
      hostname: "127.0.0.1",
      port: Number(pub.lastEndpoint!.split(":").pop()),
      socket: { data: (_s, d) => void chunks.push(Buffer.from(d)) },
    });
    try {
      raw.write(Buffer.concat([g30, readyFrame({ "Socket-Type": "SUB" }), encodeFrame(Buffer.from("\x01ne"))]));
      await until(async () => {
        await pub.send(["news", "n"]);
        await Bun.sleep(5);
        return Buffer.concat(chunks).includes(Buffer.from("news"));
      });
    } finally {
      raw.end();
    }
  });

  it("works over ipc:// (unix sockets)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zmq-ipc-"));
    try {
      const rep = track(new Reply());
      await rep.bind(`ipc://${dir}/s.sock`);
      void echoServer(rep);
      const req = track(new Request());
      req.connect(`ipc://${dir}/s.sock`);
      await req.send("over ipc");
      expect(str(await req.receive())).toEqual(["re", "over ipc"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("close() with linger flushes queued messages", async () => {
    const pull = await bound(new Pull({ receiveTimeout: 3000 }));
    const push = new Push({ linger: 2000 });
    push.connect(pull.lastEndpoint!);
    const big = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 200; i++) await push.send([`${i}`, big]); // 12.8 MB, more than the kernel buffers
    push.close();
    for (let i = 0; i < 200; i++) expect((await pull.receive())[0]!.toString()).toBe(`${i}`);
  });
});
