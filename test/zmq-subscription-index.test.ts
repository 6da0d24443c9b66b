/**
 * The subscription index of PUB/XPUB (and the prefix matching of SUB/XSUB):
 * - property: on random subscription sets, random changes and random
 *   messages (bytes 0x00–0xff, empty topics, topics longer than messages),
 *   the index finds exactly the peers linear matching finds, each once;
 *   `Subscriptions.matches` agrees with a linear scan too;
 * - through real sockets: a subscriber holding "a" and "ab" gets "abc"
 *   once, unsubscribing stops delivery, a reconnecting subscriber is
 *   indexed again and its old connection forgotten.
 * @module
 */
import { afterEach, describe, expect, it } from "bun:test";
import { Publisher, Subscriber, SubscriptionIndex, Subscriptions, XPublisher, type ZSocket } from "../shared/zmq/index.ts";

/** Deterministic PRNG (mulberry32), so a failure names its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short random byte string over a small alphabet (so prefixes collide often), sometimes any byte. */
function bytes(r: () => number, maxLen: number): Buffer {
  const n = Math.floor(r() * (maxLen + 1));
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r() < 0.9 ? [0x61, 0x62, 0x00][Math.floor(r() * 3)]! : Math.floor(r() * 256);
  return b;
}

const isPrefix = (t: Buffer, data: Buffer) => t.length <= data.length && data.subarray(0, t.length).equals(t);

describe("SubscriptionIndex", () => {
  it("matches exactly what linear matching matches, each peer once (random sets, 40 seeds)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const index = new SubscriptionIndex<number>();
      const linear = new Map<number, Buffer[]>();
      const peers = 1 + Math.floor(r() * 30);
      for (let p = 0; p < peers; p++) {
        index.addPeer(p);
        linear.set(p, []);
      }
      for (let step = 0; step < 600; step++) {
        const p = Math.floor(r() * peers);
        const roll = r();
        if (roll < 0.55) {
          const t = bytes(r, 5);
          const held = linear.get(p);
          if (held === undefined) continue;
          const had = held.some((x) => x.equals(t));
          const change = index.subscribe(p, t);
          expect(change.changed).toBe(!had);
          if (!had) held.push(t);
        } else if (roll < 0.8) {
          const held = linear.get(p);
          if (!held || held.length === 0) continue;
          const t = r() < 0.8 ? held[Math.floor(r() * held.length)]! : bytes(r, 5);
          const had = held.some((x) => x.equals(t));
          expect(index.unsubscribe(p, t).changed).toBe(had);
          linear.set(p, held.filter((x) => !x.equals(t)));
        } else if (roll < 0.84) {
          // a peer leaves; the topics nobody holds any more are reported
          const held = linear.get(p);
          if (!held) continue;
          const gone = index.removePeer(p).map((b) => b.toString("latin1")).sort();
          linear.delete(p);
          const stillHeld = (t: Buffer) => [...linear.values()].some((ts) => ts.some((x) => x.equals(t)));
          const expected = [...new Set(held.filter((t) => !stillHeld(t)).map((t) => t.toString("latin1")))].sort();
          expect(gone).toEqual(expected);
        } else if (roll < 0.86) {
          if (!linear.has(p)) {
            index.addPeer(p);
            linear.set(p, []);
          }
        } else {
          const data = r() < 0.05 ? undefined : bytes(r, 8);
          const got = index.match(data);
          expect(new Set(got).size).toBe(got.length);
          const want = [...linear].filter(([, ts]) => ts.some((t) => (data ? isPrefix(t, data) : t.length === 0))).map(([q]) => q);
          expect({ seed, step, got: got.sort((x, y) => x - y) }).toEqual({ seed, step, got: want.sort((x, y) => x - y) });
          // and what PUB did before the index: every connection's own set, one by one
          const perPeer = [...linear].filter(([, ts]) => {
            const own = new Subscriptions();
            for (const t of ts) own.add(t);
            return own.matches(data);
          });
          expect(perPeer.map(([q]) => q).sort((x, y) => x - y)).toEqual(want);
        }
      }
      for (const [p, ts] of linear) expect(index.count(p)).toBe(ts.length);
      const distinct = new Set([...linear.values()].flatMap((ts) => ts.map((t) => t.toString("latin1"))));
      expect(index.topicCount).toBe(distinct.size);
    }
  });

  it("delivers once to a peer holding several prefixes of a message", () => {
    const index = new SubscriptionIndex<string>();
    for (const p of ["x", "y"]) index.addPeer(p);
    for (const t of ["a", "ab", "abc", ""]) index.subscribe("x", Buffer.from(t));
    index.subscribe("y", Buffer.from("ab"));
    expect(index.match(Buffer.from("abcd")).sort()).toEqual(["x", "y"]);
    expect(index.match(Buffer.from("b"))).toEqual(["x"]);
    expect(index.match(undefined)).toEqual(["x"]);
    expect(index.unsubscribe("x", Buffer.from("")).changed).toBe(true);
    expect(index.match(Buffer.from("b"))).toEqual([]);
  });
});

describe("Subscriptions (SUB/XSUB filtering)", () => {
  it("matches what a linear scan matches, counted (random sets, 40 seeds)", () => {
    for (let seed = 100; seed < 140; seed++) {
      const r = rng(seed);
      const s = new Subscriptions();
      const counted = new Map<string, number>();
      for (let step = 0; step < 400; step++) {
        const t = bytes(r, 4);
        const k = t.toString("latin1");
        if (r() < 0.6) {
          expect(s.add(t)).toBe(!counted.has(k));
          counted.set(k, (counted.get(k) ?? 0) + 1);
        } else if (r() < 0.5) {
          const n = counted.get(k);
          expect(s.remove(t)).toBe(n === 1);
          if (n === 1) counted.delete(k);
          else if (n !== undefined) counted.set(k, n - 1);
        } else {
          const data = bytes(r, 7);
          const want = [...counted.keys()].some((x) => isPrefix(Buffer.from(x, "latin1"), data));
          expect({ seed, step, m: s.matches(data) }).toEqual({ seed, step, m: want });
        }
      }
      expect(s.size).toBe(counted.size);
    }
  });
});

const open: ZSocket[] = [];
function track<T extends ZSocket>(s: T): T {
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(5);
}
/** Everything `sub` receives within `ms`. */
async function drain(sub: Subscriber, ms = 150): Promise<string[]> {
  const out: string[] = [];
  sub.receiveTimeout = ms;
  try {
    for (;;) out.push((await sub.receive()).map((b) => b.toString()).join("|"));
  } catch {
    return out;
  }
}

describe("PUB/XPUB with the index", () => {
  it("a subscriber holding 'a' and 'ab' gets 'abc' once; unsubscribing stops it", async () => {
    for (const make of [() => new Publisher(), () => new XPublisher()]) {
      const pub = track(make());
      await pub.bind("tcp://127.0.0.1:0");
      const sub = track(new Subscriber());
      sub.connect(pub.lastEndpoint!);
      sub.subscribe("a", "ab");
      const other = track(new Subscriber());
      other.connect(pub.lastEndpoint!);
      other.subscribe("ab");
      await until(() => pub.topicCount === 2 && pub.connectedPeers().length === 2);
      await Bun.sleep(20);
      await pub.send(["abc", "1"]);
      await pub.send(["az", "2"]);
      expect(await drain(sub)).toEqual(["abc|1", "az|2"]);
      expect(await drain(other)).toEqual(["abc|1"]);
      sub.unsubscribe("a");
      await until(() => pub.topicCount === 1);
      await Bun.sleep(20);
      await pub.send(["abc", "3"]);
      await pub.send(["az", "4"]);
      expect(await drain(sub)).toEqual(["abc|3"]);
      expect(await drain(other)).toEqual(["abc|3"]);
      sub.unsubscribe("ab");
      other.unsubscribe("ab");
      await until(() => pub.topicCount === 0);
      await pub.send(["abc", "5"]);
      expect([...(await drain(sub)), ...(await drain(other))]).toEqual([]);
    }
  });

  it("a reconnecting subscriber is indexed again and its old connection forgotten", async () => {
    const pub = track(new Publisher());
    await pub.bind("tcp://127.0.0.1:0");
    const endpoint = pub.lastEndpoint!;
    const sub = track(new Subscriber({ reconnectInterval: 20 }));
    sub.connect(endpoint);
    sub.subscribe("news");
    await until(() => pub.topicCount === 1);
    pub.close();
    const again = track(new Publisher());
    for (;;) {
      try {
        await again.bind(endpoint);
        break;
      } catch {
        await Bun.sleep(20);
      }
    }
    await until(() => again.topicCount === 1);
    await Bun.sleep(20);
    await again.send(["news", "after restart"]);
    expect(await drain(sub)).toEqual(["news|after restart"]);
    // the subscriber's side reconnecting: the publisher forgets the old connection
    sub.disconnect(endpoint);
    await until(() => again.topicCount === 0 && again.connectedPeers().length === 0);
    sub.connect(endpoint);
    await until(() => again.topicCount === 1 && again.connectedPeers().length === 1);
    await Bun.sleep(20);
    await again.send(["news", "after reconnect"]);
    expect(await drain(sub)).toEqual(["news|after reconnect"]);
  });
});
