/**
 * Attacks on a real cluster (3 servers, ref, broker, proxy) by a stranger:
 * a Python process on libzmq (test/peers/py_stranger.py) that speaks the
 * servers' own messages to the internal ports, once with NULL and once
 * with CURVE under a fresh key pair of its own that knows the cluster's
 * public key. These are the attacks an issue found on the unauthenticated
 * cluster: shifting every clock, hijacking the election, a ghost server at
 * the ref, a fake server at the broker, fake replication acks, forged
 * history, eavesdropping on the servers' topics and a server named
 * `servers`. Each must be refused (no reply, nothing delivered, the
 * handshake fails), logged by the attacked role, and leave the cluster
 * serving; a trusted member still gets through on the same ports.
 *
 * The ref runs with a long heartbeat timeout (15 s), so that two servers
 * frozen for a few seconds stay listed and still count toward the write
 * quorum: the window in which a fake ack would turn into a false OK.
 *
 * Needs /usr/bin/python3 with python3-zmq (CURVE) and python3-msgpack:
 * without them the tests fail, they do not skip. Loose timing only.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { LamportClock } from "../shared/cluster/lamport.ts";
import type { ServerStatus } from "../shared/server/status-service.ts";
import { decode, encode } from "../shared/wire/codec.ts";
import type { Envelope } from "../shared/wire/protocol.ts";
import { Request, Subscriber } from "../shared/zmq/index.ts";
import type { TestClient } from "./helpers/chat-client.ts";
import { Cluster } from "./helpers/cluster.ts";
import { AnnouncementWatcher } from "./helpers/control-plane.ts";
import { eventually } from "./helpers/eventually.ts";
import { RoleProcess } from "./helpers/process.ts";
import { historyPage, statuses, waitConverged, waitPeers } from "./helpers/replicas.ts";

const PYTHON = "/usr/bin/python3";
const STRANGER = join(import.meta.dir, "peers", "py_stranger.py");
const NAMES = ["server1", "server2", "server3"];
const CHANNEL = "lobby";
/** How long the stranger waits for each reply: a member's comes in milliseconds. */
const REPLY_WAIT_MS = 800;
/** The attacked role's log line for a refused handshake. */
const REFUSED = {
  NULL: /does it use the CURVE mechanism too\?/,
  untrusted: /CURVE client refused by the authenticator \(400 this key is not trusted by the cluster\)/,
  wrongKey: /HELLO box does not open \(client has the wrong server key\?\)/,
};

/** What the stranger reports (one JSON line). */
interface Outcome {
  attack: string;
  mechanism: "NULL" | "CURVE";
  answered: boolean;
  replies: Envelope[];
  /** Handshakes libzmq saw succeed. */
  handshakes: number;
  /** Monitor events seen, by name. */
  events: string[];
  sent?: number;
  topics?: Record<string, number>;
  samples?: Record<string, Envelope>;
}

let c: Cluster;
let client: TestClient;
let coordinator: string;
let announcements: AnnouncementWatcher;
/** Topics a member subscribed to everything sees (what the eavesdroppers must not). */
const memberTopics = new Map<string, number>();
let memberSub: Subscriber;
const eavesdroppers: { label: string; p: RoleProcess }[] = [];
const frozen = new Set<RoleProcess>();
const started: RoleProcess[] = [];

/** The two ways a stranger comes: NULL, and CURVE with a key pair of its own. */
const AS = {
  NULL: [] as string[],
  untrusted: () => ["--curve-server-key", c.trust.publicKey],
};
const BOTH = ["NULL", "untrusted"] as const;
type Way = (typeof BOTH)[number];
/** The stranger's flags for one way in. */
const as = (way: Way): string[] => (way === "NULL" ? AS.NULL : AS.untrusted());
/** The mechanism the stranger reports for one way in. */
const mechanism = (way: Way) => (way === "NULL" ? "NULL" : "CURVE");

/** Runs one attack and resolves with its outcome; the process is stopped either way. */
async function stranger(attack: string, endpoint: string, args: string[] = [], waitMs = 15_000): Promise<Outcome> {
  const p = new RoleProcess([STRANGER, attack, "--endpoint", endpoint, "--timeout-ms", String(REPLY_WAIT_MS), ...args], {
    executable: PYTHON,
    label: `stranger ${attack}`,
  });
  started.push(p);
  try {
    const line = await p.waitFor(/"event": "result"/, waitMs, "stdout");
    return JSON.parse(line) as Outcome;
  } finally {
    await p.stop("SIGTERM", 1000);
  }
}

/** Expects an outcome of a refused handshake: nothing answered, no handshake libzmq saw succeed. */
function expectRefused(o: Outcome, mechanism: "NULL" | "CURVE"): void {
  expect(o.mechanism).toBe(mechanism);
  expect(o.replies).toEqual([]);
  expect(o.answered).toBe(false);
  expect(o.handshakes).toBe(0);
  expect(o.events).not.toContain("HANDSHAKE_SUCCEEDED");
}

/** Waits for `role` to log a refused connection to `what` after output line `from`, for `reason`. */
function refusal(role: RoleProcess, what: string, from: number, reason: RegExp): Promise<string> {
  const re = new RegExp(`refused a connection to the ${what} from 127\\.0\\.0\\.1.*${reason.source}`);
  return role.waitFor(re, 5000, "any", from);
}

/** One request with our own REQ socket holding the cluster's keys. */
const memberClock = new LamportClock();
async function asMember(endpoint: string, service: string, data: Record<string, unknown> = {}): Promise<Envelope> {
  const req = new Request({ ...c.trust.member(), receiveTimeout: 3000, sendTimeout: 3000, linger: 0 });
  try {
    req.connect(endpoint);
    await req.send(encode({ service, data: { ...data, timestamp: Date.now(), clock: memberClock.tick() } }));
    const [body] = await req.receive();
    return decode(body!) as Envelope;
  } finally {
    req.close();
  }
}

/** Every server up, two live peers each, all agreeing on one coordinator that says it is one. */
async function settled(): Promise<ServerStatus[]> {
  return eventually(
    async () => {
      const all = await statuses(c, NAMES);
      const leader = all[0]!.coordinator;
      const ok =
        leader !== null &&
        all.every((s) => s.coordinator === leader && s.peers.length === 2) &&
        all.filter((s) => s.isCoordinator).map((s) => s.name).join() === leader;
      if (!ok) throw new Error(JSON.stringify(all.map((s) => [s.name, s.coordinator, s.peers])));
      return all;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: "one coordinator on every server" },
  );
}

/** A server's origin (its records' identity) as the version vectors show it, writing until it shows. */
async function originOf(name: string): Promise<string> {
  let i = 0;
  return eventually(
    async () => {
      const all = await statuses(c, NAMES);
      const key = all.flatMap((s) => Object.keys(s.vector)).find((k) => k === name || k.startsWith(`${name}@`));
      if (key) return key;
      // Logins go round the servers: one of the next ones is this server's.
      await client.request("login", { user: `origin-probe-${i++}` });
      throw new Error(`no origin of ${name} in ${JSON.stringify(all.map((s) => s.vector))}`);
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `the origin of ${name}` },
  );
}

/** A handful of logins and a channel creation: each answered with success. Returns the logins' durations. */
async function stillServes(tag: string): Promise<number[]> {
  const took: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    const r = await client.request("login", { user: `${tag}-${i}` });
    took.push(Date.now() - t);
    expect(r.data.status).toBe("sucesso");
  }
  const ch = await client.request("channel", { channel: `${tag}-room` });
  expect(ch.data.status).toBe("sucesso");
  const post = await client.request("publish", { user: `${tag}-0`, channel: CHANNEL, message: `${tag}: still here` });
  expect(post.data.status).toBe("OK");
  return took;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

beforeAll(async () => {
  const probe = Bun.spawnSync([PYTHON, "-c", "import zmq, msgpack; assert zmq.has('curve')"]);
  if (probe.exitCode !== 0) {
    throw new Error(`${PYTHON} needs python3-zmq with CURVE and python3-msgpack: ${probe.stderr.toString()}`);
  }
  // Broker and proxy log (their refusals are what the tests look for).
  c = await Cluster.start();
  await c.startRef(["--heartbeat-ms", "5000"]);
  for (const n of NAMES) await c.startServer(n);
  coordinator = (await settled())[0]!.coordinator!;

  announcements = new AnnouncementWatcher(c.endpoint("proxyXpub"), c.trust.member());
  memberSub = new Subscriber({ ...c.trust.member(), receiveHighWaterMark: 100_000 });
  memberSub.subscribe("");
  memberSub.connect(c.endpoint("proxyXpub"));
  void (async () => {
    try {
      for await (const [topic] of memberSub) {
        const t = topic?.toString("utf8") ?? "";
        memberTopics.set(t, (memberTopics.get(t) ?? 0) + 1);
      }
    } catch {
      // closed
    }
  })();
  // Strangers listening to everything on the proxy's subscriber side from now on.
  for (const [label, args] of [["NULL", AS.NULL], ["anonymous CURVE", AS.untrusted()]] as const) {
    const p = new RoleProcess([STRANGER, "eavesdrop", "--endpoint", c.endpoint("proxyXpub"), ...args], {
      executable: PYTHON,
      label: `eavesdropper (${label})`,
      stdin: "pipe",
    });
    started.push(p);
    eavesdroppers.push({ label, p });
    await p.waitFor(/"event": "listening"/, 10_000, "stdout");
  }

  client = c.client(5000);
  expect((await client.request("login", { user: "ana" })).data.status).toBe("sucesso");
  expect((await client.request("channel", { channel: CHANNEL })).data.status).toBe("sucesso");
}, 60_000);

afterAll(async () => {
  for (const p of frozen) p.proc.kill("SIGCONT");
  for (const p of started) await p.stop("SIGTERM", 1000);
  announcements?.close();
  memberSub?.close();
  await c?.stop();
});

test("a trusted member still uses the ref and the peer endpoints; so does a libzmq client holding the cluster's key", async () => {
  const list = await asMember(c.endpoint("ref"), "list");
  expect((list.data.list as { name: string }[]).map((s) => s.name).sort()).toEqual(NAMES);
  for (const n of NAMES) {
    const s = await asMember(c.peerEndpoint(n), "status");
    expect(s.data.name).toBe(n);
  }
  // The refusals below are about the stranger's key, not about libzmq's CURVE against ours.
  const keyFile = join(c.dataDir, "keys", "cluster.key_secret");
  const o = await stranger("ask", c.peerEndpoint("server1"), [...AS.untrusted(), "--key-file", keyFile, "--service", "status"]);
  expect([o.answered, o.handshakes, o.replies[0]?.data.name]).toEqual([true, 1, "server1"]);
  const r = await stranger("ask", c.endpoint("ref"), [...AS.untrusted(), "--key-file", keyFile, "--service", "list"]);
  expect(r.answered).toBe(true);
});

test("shift every clock: clock-adjust +1 h in the coordinator's name, to every server, is refused and logged; no offset moves", async () => {
  const before = await statuses(c, NAMES);
  const from = NAMES.map((n) => c.servers.get(n)!.output.length);
  const attacks = NAMES.flatMap((n) =>
    BOTH.map(async (way) => {
      const args = ["--coordinator", coordinator, "--adjust-ms", "3600000", ...as(way)];
      const o = await stranger("shift-clock", c.peerEndpoint(n), args);
      expectRefused(o, mechanism(way));
      return o;
    }),
  );
  await Promise.all(attacks);
  for (const [i, n] of NAMES.entries()) {
    const server = c.servers.get(n)!;
    await refusal(server, "peer endpoint", from[i]!, REFUSED.NULL);
    await refusal(server, "peer endpoint", from[i]!, REFUSED.untrusted);
    expect(server.output.slice(from[i]!).filter((l) => /clock-adjust|Berkeley adjustment from/.test(l) && /3600000/.test(l))).toEqual([]);
  }
  const after = await statuses(c, NAMES);
  for (const [i, s] of after.entries()) {
    // Berkeley rounds move an offset by a few ms; the attack would have moved it by an hour.
    expect(Math.abs(s.offset - before[i]!.offset)).toBeLessThan(1000);
    expect(Math.abs(s.time - Date.now())).toBeLessThan(5000);
  }
  await stillServes("after-clock");
}, 30_000);

test("a CURVE client with the wrong server key (a random one) fails at the ref and a peer endpoint, and the refusal is logged", async () => {
  const ref = c.ref!;
  const server = c.servers.get("server1")!;
  const [refFrom, serverFrom] = [ref.output.length, server.output.length];
  const [atRef, atPeer] = await Promise.all([
    stranger("ask", c.endpoint("ref"), ["--curve-server-key", "random", "--service", "list"]),
    stranger("ask", c.peerEndpoint("server1"), ["--curve-server-key", "random", "--service", "status"]),
  ]);
  expectRefused(atRef, "CURVE");
  expectRefused(atPeer, "CURVE");
  await refusal(ref, "ref", refFrom, REFUSED.wrongKey);
  await refusal(server, "peer endpoint", serverFrom, REFUSED.wrongKey);
}, 30_000);

test("hijack the election: a stranger's `servers` announcement of mallory never reaches a server; the proxy logs the refusal", async () => {
  const proxy = c.proxy!;
  const from = proxy.output.length;
  const seenFrom = announcements.seen.length;
  const attack = Promise.all(
    BOTH.map((way) =>
      stranger("hijack-election", c.endpoint("proxyXsub"), ["--coordinator", "mallory", "--duration-ms", "2000", ...as(way)]),
    ),
  );
  // While it publishes, and after: every server keeps the real coordinator.
  const during: (string | null)[] = [];
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    for (const s of await statuses(c, NAMES)) during.push(s.coordinator);
    await Bun.sleep(200);
  }
  const [viaNull, viaCurve] = await attack;
  expectRefused(viaNull!, "NULL");
  expectRefused(viaCurve!, "CURVE");
  expect(viaNull!.sent).toBeGreaterThan(5);
  await refusal(proxy, "publisher side", from, REFUSED.NULL);
  await refusal(proxy, "publisher side", from, REFUSED.untrusted);
  expect(new Set(during)).toEqual(new Set([coordinator]));
  expect(announcements.seen.slice(seenFrom).filter((a) => a.coordinator !== coordinator)).toEqual([]);
  expect((await settled())[0]!.coordinator).toBe(coordinator);
}, 30_000);

test("a ghost server at the ref: rank and heartbeat from a stranger are refused and logged, it is never listed, logins stay fast", async () => {
  const ref = c.ref!;
  const from = ref.output.length;
  const [viaNull, viaCurve] = await Promise.all(
    BOTH.map((way) =>
      stranger("ghost-server", c.endpoint("ref"), ["--name", "ghost", "--address", "tcp://10.255.255.1:1", ...as(way)]),
    ),
  );
  expectRefused(viaNull!, "NULL");
  expectRefused(viaCurve!, "CURVE");
  await refusal(ref, "ref", from, REFUSED.NULL);
  await refusal(ref, "ref", from, REFUSED.untrusted);
  expect((await c.control.list()).map((s) => s.name).sort()).toEqual(NAMES);
  for (const s of await statuses(c, NAMES)) expect(s.peers).not.toContain("ghost");
  // A listed ghost would hold every login until the ack deadline (1.5 s): wait for every live peer.
  const took = await stillServes("after-ghost");
  expect(median(took)).toBeLessThan(1000);
  expect((await c.control.list()).map((s) => s.name)).not.toContain("ghost");
}, 30_000);

test("a fake server at the broker's server side is refused and logged, and steals no client request", async () => {
  const broker = c.broker!;
  const from = broker.output.length;
  const attack = Promise.all(
    BOTH.map((way) => stranger("fake-server", c.endpoint("brokerBackend"), ["--duration-ms", "2500", ...as(way)])),
  );
  await Bun.sleep(500);
  for (let i = 0; i < 6; i++) {
    const r = await client.request("users");
    expect(r.data.users).toContain("ana");
  }
  const [viaNull, viaCurve] = await attack;
  expectRefused(viaNull!, "NULL");
  expectRefused(viaCurve!, "CURVE");
  await refusal(broker, "broker's server side", from, REFUSED.NULL);
  await refusal(broker, "broker's server side", from, REFUSED.untrusted);
}, 30_000);

test("fake acks: `replicated` from a stranger is refused and logged by every server", async () => {
  const origins = await Promise.all(NAMES.map((n) => originOf(n)));
  const from = NAMES.map((n) => c.servers.get(n)!.output.length);
  await Promise.all(
    NAMES.flatMap((n, i) =>
      BOTH.map(async (way) => {
        const other = NAMES[(i + 1) % NAMES.length]!;
        const o = await stranger("fake-ack", c.peerEndpoint(n), ["--from", other, "--origin", origins[i]!, "--up-to", "1000000", ...as(way)]);
        expectRefused(o, mechanism(way));
      }),
    ),
  );
  for (const [i, n] of NAMES.entries()) {
    const server = c.servers.get(n)!;
    await refusal(server, "peer endpoint", from[i]!, REFUSED.NULL);
    await refusal(server, "peer endpoint", from[i]!, REFUSED.untrusted);
    expect(server.output.slice(from[i]!).filter((l) => /<- \S+ replicated/.test(l) && /1000000/.test(l))).toEqual([]);
  }
}, 30_000);

test("fake acks while the other two servers are frozen: the coordinator does not acknowledge a write it could not replicate", async () => {
  const leader = c.servers.get(coordinator)!;
  const followers = NAMES.filter((n) => n !== coordinator);
  const origin = await originOf(coordinator);
  const broker = c.broker!;
  const brokerFrom = broker.output.length;
  const leaderFrom = leader.output.length;
  for (const n of followers) {
    const p = c.servers.get(n)!;
    p.proc.kill("SIGSTOP");
    frozen.add(p);
  }
  try {
    // The broker takes both out of rotation, so the write goes to the coordinator.
    await eventually(
      () => {
        const out = broker.output.slice(brokerFrom).filter((l) => /out of rotation/.test(l));
        if (out.length < 2) throw new Error(JSON.stringify(out));
      },
      { timeoutMs: 5000, intervalMs: 50, what: "both frozen servers out of the broker's rotation" },
    );
    // Meanwhile a stranger acknowledges everything, in both frozen servers' names.
    const flood = Promise.all(
      followers.map((f, i) => {
        const ack = ["--from", f, "--origin", origin, "--up-to", "1000000", "--duration-ms", "2500", "--every-ms", "50"];
        return stranger("fake-ack", c.peerEndpoint(coordinator), [...ack, ...as(BOTH[i]!)]);
      }),
    );
    await Bun.sleep(300);
    const post = { user: "ana", channel: CHANNEL, message: "written while two servers sleep" };
    const r = await client.request("publish", post).catch((e: Error) => ({ data: { status: "no reply", message: e.message } }));
    expect(r.data.status).not.toBe("OK");
    expect(r.data.status).toBe("erro");
    expect(String(r.data.message)).toMatch(/not yet on/);
    for (const o of await flood) expect(o.answered).toBe(false);
    await refusal(leader, "peer endpoint", leaderFrom, REFUSED.NULL);
    await refusal(leader, "peer endpoint", leaderFrom, REFUSED.untrusted);
  } finally {
    for (const n of followers) {
      const p = c.servers.get(n)!;
      p.proc.kill("SIGCONT");
      frozen.delete(p);
    }
  }
  await eventually(
    () => {
      const back = broker.output.slice(brokerFrom).filter((l) => /back in rotation/.test(l));
      if (back.length < 2) throw new Error(JSON.stringify(back));
    },
    { timeoutMs: 10_000, intervalMs: 100, what: "both servers back in the broker's rotation" },
  );
  await waitPeers(c, NAMES, 2);
  await eventually(
    async () => {
      const r = await client.request("publish", { user: "ana", channel: CHANNEL, message: "awake again" });
      if (r.data.status !== "OK") throw new Error(JSON.stringify(r.data));
    },
    { timeoutMs: 10_000, intervalMs: 200, what: "a publish acknowledged again" },
  );
}, 45_000);

test("forge history: a stranger's `replicate` under server1's identity, to server2 and through the proxy, is refused and logged; it never shows in history", async () => {
  const origin = await originOf("server1");
  const seq = ((await c.status("server2")).vector[origin] ?? 0) + 1;
  const server2 = c.servers.get("server2")!;
  const proxy = c.proxy!;
  const [serverFrom, proxyFrom] = [server2.output.length, proxy.output.length];
  const forged = ["--from", "server1", "--origin", origin, "--address", c.peerEndpoint("server1"), "--seq", String(seq)];
  forged.push("--channel", CHANNEL, "--message", "forged by mallory");
  const outcomes = await Promise.all([
    ...BOTH.map((way) => stranger("forge-history", c.peerEndpoint("server2"), [...forged, ...as(way)])),
    ...BOTH.map((way) => stranger("forge-push", c.endpoint("proxyXsub"), [...forged, "--duration-ms", "1000", ...as(way)])),
  ]);
  for (const [i, o] of outcomes.entries()) expectRefused(o, mechanism(BOTH[i % 2]!));
  await refusal(server2, "peer endpoint", serverFrom, REFUSED.NULL);
  await refusal(server2, "peer endpoint", serverFrom, REFUSED.untrusted);
  await refusal(proxy, "publisher side", proxyFrom, REFUSED.NULL);
  await refusal(proxy, "publisher side", proxyFrom, REFUSED.untrusted);

  const legit = await client.request("publish", { user: "ana", channel: CHANNEL, message: "the real one" });
  expect(legit.data.status).toBe("OK");
  await waitConverged(c, NAMES);
  // The broker hands requests round the servers: two rounds ask each of them.
  for (let i = 0; i < 2 * NAMES.length; i++) {
    const page = await historyPage(client, { channel: CHANNEL }, 100);
    expect(page.some((m) => m.message === "the real one")).toBe(true);
    expect(page.filter((m) => m.message.includes("forged") || m.id.startsWith("forged") || m.user === "mallory")).toEqual([]);
  }
}, 30_000);

test("eavesdrop: a stranger subscribed to everything gets channel posts, never `servers`, `replication` or other `$` topics", async () => {
  for (let i = 0; i < 5; i++) {
    expect((await client.request("publish", { user: "ana", channel: CHANNEL, message: `public ${i}` })).data.status).toBe("OK");
  }
  // A member on the same port saw the servers' traffic meanwhile: there was something to steal.
  await eventually(
    () => {
      if (!(memberTopics.get("servers")! > 0 && memberTopics.get("replication")! > 0)) throw new Error(JSON.stringify([...memberTopics]));
    },
    { timeoutMs: 10_000, what: "the servers' topics flowing to a member" },
  );
  await eventually(
    () => {
      if (!(memberTopics.get(CHANNEL)! >= 5)) throw new Error(JSON.stringify([...memberTopics]));
    },
    { timeoutMs: 5000, what: "the posts reaching a member" },
  );
  for (const { label, p } of eavesdroppers) {
    p.send("report");
    const o = JSON.parse(await p.waitFor(/"event": "result"/, 5000, "stdout")) as Outcome;
    const topics = Object.keys(o.topics ?? {});
    expect(o.handshakes, label).toBeGreaterThanOrEqual(1);
    expect(o.topics?.[CHANNEL] ?? 0, label).toBeGreaterThanOrEqual(5);
    expect(o.samples?.[CHANNEL]?.service, label).toBe("publish");
    expect(topics.filter((t) => t === "servers" || t === "replication" || (t.startsWith("$") && t !== "$presence")), label).toEqual([]);
  }
}, 30_000);

test("a server named `servers`: a stranger cannot register at the ref at all; a member asking for that name gets erro", async () => {
  const ref = c.ref!;
  const from = ref.output.length;
  const [viaNull, viaCurve] = await Promise.all(
    BOTH.map((way) => stranger("ghost-server", c.endpoint("ref"), ["--name", "servers", "--address", "tcp://127.0.0.1:1", ...as(way)])),
  );
  expectRefused(viaNull!, "NULL");
  expectRefused(viaCurve!, "CURVE");
  await refusal(ref, "ref", from, REFUSED.NULL);
  await refusal(ref, "ref", from, REFUSED.untrusted);

  const r = await asMember(c.endpoint("ref"), "rank", { user: "servers", address: "tcp://127.0.0.1:1" });
  expect(r.data.status).toBe("erro");
  expect(String(r.data.description)).toMatch(/reserved/);
  expect((await c.control.list()).map((s) => s.name).sort()).toEqual(NAMES);
}, 30_000);

test("after every attack the cluster still serves: one coordinator, replicas agree, logins and posts answered", async () => {
  expect((await settled())[0]!.coordinator).toBe(coordinator);
  await stillServes("at-the-end");
  await waitConverged(c, NAMES);
  for (const p of c.processes) expect(p.running, p.label).toBe(true);
}, 30_000);
