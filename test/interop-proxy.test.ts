/**
 * Our proxies between libzmq peers, and libzmq peers restarted mid-stream.
 * - ROUTER/DEALER proxy: REQ and DEALER clients from pyzmq and zeromq.js,
 *   REP workers from both; every reply matches its request, both workers serve.
 * - XSUB/XPUB proxy: PUBs from both kinds, SUBs from both kinds with
 *   different topics; each subscriber gets exactly its topic from both.
 * - Restarts (process killed, a new one binds the same port / reconnects):
 *   our SUB keeps its subscription, our DEALER resumes, our XSUB re-sends
 *   the proxied subscriptions to a restarted publisher.
 * @module
 */
import { describe, expect, it } from "bun:test";
import { Dealer, proxy, Router, Subscriber, XPublisher, XSubscriber, ZmtpError, type ZSocket } from "../shared/zmq/index.ts";
import { CommandPeer, PEER_KINDS, usePeers, frameBytes, PeerError, summary, text, type PeerKind, type PeerSocket } from "./peers/command-peer.ts";

const KINDS = PEER_KINDS;
const { peers, cleanup } = usePeers();
function ours<T extends ZSocket>(s: T): T {
  cleanup.push(() => s.close());
  return s;
}
async function theirs(kind: PeerKind, type: string, peer = peers.get(kind)!): Promise<PeerSocket> {
  const s = await peer.socket(type);
  cleanup.push(() => s.close().catch(() => {}));
  return s;
}
function freshPeer(kind: PeerKind): CommandPeer {
  const p = new CommandPeer(kind);
  cleanup.push(() => p.kill());
  return p;
}
const isTimeout = (e: unknown) => (e instanceof PeerError && e.code === "EAGAIN") || (e instanceof ZmtpError && e.code === "EAGAIN");
const orNull = <T>(p: Promise<T>) => p.catch((e) => (isTimeout(e) ? null : Promise.reject(e)));

describe("our ROUTER/DEALER proxy between libzmq clients and workers", () => {
  it("routes every request to a worker and the reply back to its client", async () => {
    const front = ours(new Router());
    const back = ours(new Dealer());
    await front.bind("tcp://127.0.0.1:0");
    await back.bind("tcp://127.0.0.1:0");
    void proxy(front, back);

    for (const k of KINDS) {
      const w = await theirs(k, "REP");
      await w.connect(back.lastEndpoint!);
      await w.echo(`worker-${k}`);
    }
    const clients: { name: string; s: PeerSocket; dealer: boolean }[] = [];
    for (const k of KINDS)
      for (const type of ["REQ", "DEALER"]) {
        const s = await theirs(k, type);
        await s.connect(front.lastEndpoint!);
        clients.push({ name: `${k}-${type}`, s, dealer: type === "DEALER" });
      }
    const served = new Set<string>();
    await Promise.all(
      clients.map(async ({ name, s, dealer }) => {
        for (let i = 0; i < 6; i++) {
          const body = [`${name}#${i}`, "", i === 3 ? { gen: 1 << 20, seed: i } : "x"];
          const frames = dealer ? ["", ...body] : body;
          await s.send(frames);
          const r = await s.recv(10_000);
          expect(r.slice(0, -1)).toEqual(frames.map((f) => summary(frameBytes(f))));
          served.add(text(r.at(-1)!));
        }
      }),
    );
    expect([...served].sort()).toEqual(["worker-pyzmq", "worker-zeromq.js"]);
  }, 30_000);
});

/** Publish `sync` from every publisher until every subscriber has seen each one. */
async function syncAll(pubs: { name: string; send: (f: string[]) => Promise<void> }[], subs: { topic: string; recv: (t: number) => Promise<string[] | null> }[]) {
  const seen = subs.map(() => new Set<string>());
  while (seen.some((s) => s.size < pubs.length)) {
    for (const p of pubs) for (const sub of subs) await p.send([`${sub.topic}!sync`, p.name]);
    await Promise.all(
      subs.map(async (sub, i) => {
        for (let r = await sub.recv(100); r; r = await sub.recv(20)) {
          if (r[0]!.endsWith("!sync")) seen[i]!.add(r[1]!);
        }
      }),
    );
  }
}

describe("our XSUB/XPUB proxy between libzmq publishers and subscribers", () => {
  it("forwards subscriptions upstream and each topic only to its subscribers", async () => {
    const xsub = ours(new XSubscriber());
    const xpub = ours(new XPublisher());
    await xsub.bind("tcp://127.0.0.1:0");
    await xpub.bind("tcp://127.0.0.1:0");
    void proxy(xsub, xpub);

    const pubs = [];
    for (const k of KINDS) {
      const s = await theirs(k, "PUB");
      await s.connect(xsub.lastEndpoint!);
      pubs.push({ name: k, send: (f: string[]) => s.send(f) });
    }
    const subs = [];
    for (const [k, topic] of [["pyzmq", "a"], ["zeromq.js", "b"]] as const) {
      const s = await theirs(k, "SUB");
      await s.connect(xpub.lastEndpoint!);
      await s.subscribe(topic);
      subs.push({ topic, s, recv: async (t: number) => (await orNull(s.recv(t)))?.map(text) ?? null });
    }
    await syncAll(pubs, subs);

    for (const p of pubs) for (let i = 0; i < 5; i++) for (const t of ["a", "b", "c"]) await p.send([t, p.name, String(i)]);
    for (const sub of subs) {
      const got: string[] = [];
      while (got.length < 10) {
        const r = (await sub.recv(10_000))!;
        if (!r[0]!.endsWith("!sync")) got.push(r.join("/"));
      }
      const want = pubs.flatMap((p) => [0, 1, 2, 3, 4].map((i) => `${sub.topic}/${p.name}/${i}`));
      expect(got.sort()).toEqual(want.sort());
      expect(await sub.recv(50)).toBeNull(); // nothing of topic "c" or the other topic
    }
  }, 30_000);
});

describe("libzmq peer restarted mid-stream", () => {
  for (const kind of KINDS) {
    it(`our SUB keeps its subscription across a ${kind} PUB restart`, async () => {
      const sub = ours(new Subscriber({ receiveTimeout: 100 }));
      sub.subscribe("t");
      const recv = async (t: number) => {
        sub.receiveTimeout = t;
        const m = await orNull(sub.receive());
        return m && m.map(String);
      };
      let pub = await theirs(kind, "PUB", freshPeer(kind));
      const ep = await pub.bind();
      sub.connect(ep);
      const publisher = () => ({ name: kind, send: (f: string[]) => pub.send(f) });
      await syncAll([publisher()], [{ topic: "t", recv }]);
      await pub.send(["t", "before"]);
      await pub.send(["u", "never"]);
      expect(await nextData(recv)).toEqual(["t", "before"]);

      pub.peer.kill();
      await pub.peer.exited;
      pub = await theirs(kind, "PUB", freshPeer(kind));
      expect(await pub.bind(ep)).toBe(ep);
      await syncAll([publisher()], [{ topic: "t", recv }]);
      await pub.send(["u", "never"]);
      await pub.send(["t", "after"]);
      expect(await nextData(recv)).toEqual(["t", "after"]);
    }, 30_000);

    it(`our DEALER resumes after a ${kind} REP restart`, async () => {
      const dealer = ours(new Dealer({ receiveTimeout: 10_000 }));
      let rep = await theirs(kind, "REP", freshPeer(kind));
      const ep = await rep.bind();
      await rep.echo("first");
      dealer.connect(ep);
      await dealer.send(["", "one"]);
      expect((await dealer.receive()).map(String)).toEqual(["", "one", "first"]);

      rep.peer.kill();
      await rep.peer.exited;
      rep = await theirs(kind, "REP", freshPeer(kind));
      await rep.bind(ep);
      await rep.echo("second");
      await dealer.send(["", "two"]);
      expect((await dealer.receive()).map(String)).toEqual(["", "two", "second"]);
    }, 30_000);

    it(`our XSUB re-sends proxied subscriptions to a restarted ${kind} PUB`, async () => {
      const xsub = ours(new XSubscriber());
      const xpub = ours(new XPublisher());
      await xsub.bind("tcp://127.0.0.1:0");
      await xpub.bind("tcp://127.0.0.1:0");
      void proxy(xsub, xpub);
      const other = KINDS.find((k) => k !== kind)!;
      const s = await theirs(other, "SUB");
      await s.connect(xpub.lastEndpoint!);
      await s.subscribe("t");
      const subs = [{ topic: "t", recv: async (t: number) => (await orNull(s.recv(t)))?.map(text) ?? null }];

      for (const round of ["before", "after"]) {
        const pub = await theirs(kind, "PUB", freshPeer(kind));
        await pub.connect(xsub.lastEndpoint!);
        await syncAll([{ name: kind, send: (f) => pub.send(f) }], subs);
        await pub.send(["t", round]);
        expect(await nextData(subs[0]!.recv)).toEqual(["t", round]);
        pub.peer.kill();
        await pub.peer.exited;
      }
    }, 30_000);
  }
});

/** Next message that is not a sync message. */
async function nextData(recv: (t: number) => Promise<string[] | null>): Promise<string[]> {
  for (;;) {
    const m = await recv(10_000);
    if (m && !m[0]!.endsWith("!sync")) return m;
  }
}
