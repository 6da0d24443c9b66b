/**
 * Strict writer, proved by a typed reader: every reply and delivery our
 * processes send (broker replies of every client service and error, the
 * seed dialect's flat replies, channel, user, `servers` and `replication`
 * deliveries, the ref's replies, the peer services' replies) is captured as
 * raw bytes off real sockets and decoded by a Go program on Debian's
 * vmihailenco/msgpack v5 into structs with int64 fields. A timestamp, clock,
 * rank or count sent as float64 fails there with "invalid code=cb decoding
 * int64", as it would in any typed client (dialects.md, Numbers).
 *
 * The Go program is built once per run; without `go` or the library the
 * run fails (.ci/run installs golang-go and
 * golang-github-vmihailenco-msgpack.v5-dev).
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "../shared/wire/codec.ts";
import { Request, Subscriber } from "../shared/zmq/index.ts";
import { Cluster } from "./helpers/cluster.ts";
import { offsetSpread } from "./helpers/control-plane.ts";
import { eventually } from "./helpers/eventually.ts";
import { statuses } from "./helpers/replicas.ts";

const SOURCE = join(import.meta.dir, "peers", "typed_decode.go");
const GOPATH = "/usr/share/gocode";
const LIBRARY = join(GOPATH, "src", "github.com", "vmihailenco", "msgpack", "v5");
const INSTALL = "apt-get install golang-go golang-github-vmihailenco-msgpack.v5-dev";

/** Every kind the Go program must see at least once. */
const KINDS = [
  "login", "users", "channel", "channels", "publish", "message", "history", "erro", "error",
  "delivery-publish", "delivery-message", "servers", "replication",
  "rank", "list", "heartbeat",
  "clock", "clock-adjust", "election", "status", "vector", "fetch",
  "seed", "seed-delivery",
] as const;
type Kind = (typeof KINDS)[number];

interface Captured {
  kind: Kind;
  /** Where it came from, for the failure report. */
  label: string;
  bytes: Buffer;
}

interface Verdict {
  kind: string;
  ok: boolean;
  error?: string;
}

const SERVERS = ["server1", "server2"] as const;
let cluster: Cluster;
let buildDir: string;
let decoder: string | undefined;
let buildError: string | undefined;
let sub: Subscriber | undefined;
const sockets: Request[] = [];
const captured: Captured[] = [];
/** Raw deliveries: topic and payload bytes, in arrival order. */
const deliveries: { topic: string; payload: Buffer }[] = [];

/** Builds test/peers/typed_decode.go in GOPATH mode against Debian's package; sets `decoder` or `buildError`. */
function buildDecoder(): void {
  const go = Bun.which("go") ?? (existsSync("/usr/bin/go") ? "/usr/bin/go" : null);
  if (!go) {
    buildError = `go is not installed (${INSTALL})`;
    return;
  }
  if (!existsSync(LIBRARY)) {
    buildError = `vmihailenco/msgpack v5 is not in ${LIBRARY} (${INSTALL})`;
    return;
  }
  const out = join(buildDir, "typed_decode");
  const r = Bun.spawnSync([go, "build", "-o", out, SOURCE], {
    cwd: buildDir,
    env: { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: join(buildDir, "cache"), GOFLAGS: "" },
  });
  if (r.exitCode !== 0) {
    buildError = `go build failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`;
    return;
  }
  decoder = out;
}

beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), "bbs-typed-"));
  buildDecoder();
  // Servers start after the subscriber, so the first `servers` announcement is seen.
  cluster = await Cluster.start({ ref: true });
  // A cluster member: the proxy shows `servers` and `replication` to members only.
  sub = new Subscriber({ receiveHighWaterMark: 100_000, ...cluster.trust.member() });
  sub.connect(cluster.endpoint("proxyXpub"));
  for (const t of ["servers", "replication", "typedchan", "typedana", "general"]) sub.subscribe(t);
  void (async () => {
    try {
      for await (const frames of sub!) {
        if (frames.length === 2) deliveries.push({ topic: frames[0]!.toString("utf8"), payload: Buffer.from(frames[1]!) });
      }
    } catch {
      // closed
    }
  })();
  // Skewed wall clocks (the harness's default is none), so offsets and Berkeley adjustments are in play.
  await cluster.startServer(SERVERS[0], ["--skew", "400"]);
  await cluster.startServer(SERVERS[1], ["--skew=-300"]);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  sub?.close();
  await cluster?.stop();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

let clock = 0;
/** A contract request, stamped with integers. */
function request(service: string, data: Record<string, unknown> = {}): Buffer {
  return encode({ service, data: { ...data, timestamp: Date.now(), clock: ++clock } });
}

/** A REQ socket on `endpoint` (with the cluster's keys when it is an internal port); closed after the test. */
function reqSocket(endpoint: string, member = false): Request {
  const s = new Request({ receiveTimeout: 5000, sendTimeout: 5000, linger: 0, ...(member ? cluster.trust.member() : {}) });
  s.connect(endpoint);
  sockets.push(s);
  return s;
}

/** Sends one frame and returns the reply's raw bytes, recorded under `kind`. */
async function ask(s: Request, kind: Kind, label: string, body: Buffer): Promise<Buffer> {
  await s.send(body);
  const parts = await s.receive();
  if (parts.length !== 1) throw new Error(`${label}: reply has ${parts.length} frames`);
  const bytes = Buffer.from(parts[0]!);
  captured.push({ kind, label, bytes });
  return bytes;
}

/** Our own reading of a captured reply (only to steer the test; the check is the Go decode). */
function view(bytes: Buffer): Record<string, any> {
  return decode(bytes) as Record<string, any>;
}

/** Waits for a raw delivery on `topic` whose decoded payload satisfies `pred`. */
function delivery(topic: string, pred: (p: Record<string, any>) => boolean, timeoutMs: number): Promise<Record<string, any>> {
  return eventually(
    () => {
      const d = deliveries.find((d) => d.topic === topic && pred(view(d.payload)));
      if (!d) throw new Error(`topics seen: ${[...new Set(deliveries.map((d) => d.topic))].join(", ")}`);
      return view(d.payload);
    },
    { timeoutMs, intervalMs: 50, what: `a delivery on '${topic}'` },
  );
}

/**
 * Sends `publish` or `message` requests through `broker`, a fresh text each
 * time, until one comes back on `topic` (subscriptions reach a server's PUB
 * asynchronously); resolves with that delivery.
 */
function postUntilDelivered(broker: Request, kind: "publish" | "message", topic: string, body: (text: string, i: number) => Record<string, unknown>) {
  let i = 0;
  return eventually(
    async () => {
      const text = `typed ${kind} ${i}`;
      await ask(broker, kind, `${kind} ${i}`, request(kind, body(text, i++)));
      return delivery(topic, (p) => p.data?.message === text, 500);
    },
    { timeoutMs: 20_000, intervalMs: 0, what: `a ${kind} delivered on '${topic}'` },
  );
}

/** Runs the Go program over every captured payload; one verdict per payload, in order. */
async function typedDecode(items: Captured[]): Promise<Verdict[]> {
  const proc = Bun.spawn({ cmd: [decoder!], stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  proc.stdin.write(items.map((c) => `${c.kind} ${c.bytes.toString("hex")}\n`).join(""));
  await proc.stdin.end();
  const [out, err, code] = await output;
  if (code !== 0) throw new Error(`typed decoder exited ${code}: ${err}`);
  return out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Verdict);
}

it("builds the Go typed decoder (vmihailenco/msgpack v5, GOPATH mode)", () => {
  expect(buildError).toBeUndefined();
  expect(decoder).toBeDefined();
});

it("every reply and delivery decodes into int64-typed structs", async () => {
  if (!decoder) throw new Error(`no typed decoder: ${buildError}`);

  // The election's announcement on `servers` (the subscriber was there before the servers).
  const announced = await delivery("servers", (p) => p.service === "election", 15_000);
  const coordinator = String(announced.data.coordinator);
  // Both servers follow it, and its first Berkeley round has adjusted both clocks.
  await eventually(
    async () => {
      const s = await statuses(cluster, SERVERS);
      expect(s.map((x) => [x.name, x.coordinator])).toEqual(SERVERS.map((n) => [n, coordinator]));
      expect(offsetSpread(s)).toBeLessThan(50);
    },
    { timeoutMs: 15_000 },
  );

  // Client services through the broker, raw.
  const broker = reqSocket(cluster.endpoint("brokerFrontend"));
  await ask(broker, "login", "login typedana", request("login", { user: "typedana" }));
  await ask(broker, "login", "login typedbob", request("login", { user: "typedbob" }));
  await ask(broker, "users", "users", request("users"));
  await ask(broker, "channel", "channel typedchan", request("channel", { channel: "typedchan" }));
  await ask(broker, "channels", "channels", request("channels"));
  await postUntilDelivered(broker, "publish", "typedchan", (message, i) => ({ user: "typedana", channel: "typedchan", message, id: `typed-pub-${i}` }));
  await postUntilDelivered(broker, "message", "typedana", (message, i) => ({ src: "typedbob", dst: "typedana", message, id: `typed-msg-${i}` }));
  const history = view(await ask(broker, "history", "history #typedchan", request("history", { channel: "typedchan", limit: 50 })));
  expect(history.data.messages?.length).toBeGreaterThan(0);
  await ask(broker, "history", "history typedana/typedbob", request("history", { user: "typedana", peer: "typedbob" }));

  // Error replies, under each service's error field.
  await ask(broker, "erro", "login with a bad name", request("login", { user: " spaced " }));
  await ask(broker, "erro", "channel that exists", request("channel", { channel: "typedchan" }));
  await ask(broker, "erro", "publish to an unknown channel", request("publish", { user: "typedana", channel: "typednochan", message: "x" }));
  await ask(broker, "erro", "message to an unknown user", request("message", { src: "typedana", dst: "typednouser", message: "x" }));
  await ask(broker, "erro", "history of an unknown channel", request("history", { channel: "typednochan" }));
  await ask(broker, "erro", "history with a bad limit", request("history", { channel: "typedchan", limit: 0 }));
  await ask(broker, "erro", "a peer service through the broker", request("clock"));
  await ask(broker, "erro", "an unknown service", request("typednope"));
  // Requests that cannot be parsed: the `error` service.
  await ask(broker, "error", "broker: not MessagePack", Buffer.from([0xc1]));
  await ask(broker, "error", "broker: an array", encode([1, 2, 3]));
  await ask(broker, "error", "broker: a map without service", encode({ data: { clock: 1 } }));

  // The seed team's flat dialect: every command they send.
  const seed: [string, Record<string, unknown>][] = [
    ["login", { command: "login", username: "typedseed", timestamp: 1 }],
    ["users", { command: "users", timestamp: 2 }],
    ["channels", { command: "channels", timestamp: 3 }],
    ["channel", { command: "channel", channel: "typedseedchan", timestamp: 4 }],
    ["publish", { command: "publish", user: "typedseed", topic: "general", payload: "typedseed: hi", timestamp: 5 }],
    ["message", { command: "message", user: "typedseed", topic: "typedana", payload: "typedseed: psst", timestamp: 6 }],
  ];
  for (const [name, body] of seed) await ask(broker, "seed", `seed ${name}`, encode(body));
  // Their deliveries carry a display line and a timestamp at the top level, beside service/data.
  await delivery("general", (p) => p.data?.message === "typedseed: hi", 10_000);

  // The reference server, as a server would ask it (no address: the servers never try to reach it).
  const ref = reqSocket(cluster.endpoint("ref"), true);
  await ask(ref, "rank", "ref rank typedcheck", request("rank", { user: "typedcheck" }));
  await ask(ref, "heartbeat", "ref heartbeat typedcheck", request("heartbeat", { user: "typedcheck" }));
  const list = view(await ask(ref, "list", "ref list", request("list")));
  expect(list.data.list?.length).toBeGreaterThanOrEqual(2);
  await ask(ref, "erro", "ref heartbeat of an unknown server", request("heartbeat", { user: "typedcheck-unranked" }));
  await ask(ref, "erro", "ref: a client service", request("users"));
  await ask(ref, "error", "ref: not MessagePack", Buffer.from([0xc1]));

  // Each server's peer endpoint.
  for (const name of SERVERS) {
    const peer = reqSocket(cluster.peerEndpoint(name), true);
    await ask(peer, "clock", `${name} clock`, request("clock"));
    await ask(peer, "status", `${name} status`, request("status"));
    await ask(peer, "vector", `${name} vector`, request("vector"));
    await ask(peer, "fetch", `${name} fetch`, request("fetch", { origin: name, after: 0, limit: 50 }));
    await ask(peer, "erro", `${name} unknown peer service`, request("typednope"));
    await ask(peer, "error", `${name}: not MessagePack`, Buffer.from([0xc1]));
    if (name !== coordinator) {
      await ask(peer, "clock-adjust", `${name} clock-adjust`, request("clock-adjust", { adjustMs: 0, name: coordinator }));
    }
    // `election` to the coordinator only: it answers OK and announces again, as it would anyway.
    if (name === coordinator) await ask(peer, "election", `${name} election`, request("election", { name: "typedcheck" }));
  }

  // Every delivery seen, by topic.
  for (const d of deliveries) {
    const kind: Kind | undefined =
      d.topic === "servers" ? "servers"
      : d.topic === "replication" ? "replication"
      : d.topic === "typedchan" || d.topic === "general" ? "delivery-publish"
      : d.topic === "typedana" ? "delivery-message"
      : undefined;
    if (!kind) continue;
    captured.push({ kind, label: `delivery on '${d.topic}'`, bytes: d.payload });
    if (kind.startsWith("delivery-") && view(d.payload).message !== undefined) {
      captured.push({ kind: "seed-delivery", label: `delivery on '${d.topic}', top-level fields`, bytes: d.payload });
    }
  }

  const verdicts = await typedDecode(captured);
  expect(verdicts.length).toBe(captured.length);
  const failures = new Map<string, string>();
  verdicts.forEach((v, i) => {
    if (v.ok) return;
    const c = captured[i]!;
    const key = `${c.kind}: ${v.error}`;
    if (!failures.has(key)) failures.set(key, `${key} (first: ${c.label}, ${c.bytes.toString("hex").slice(0, 160)})`);
  });
  // Both at once, so a run on a writer that is not strict yet lists every failing kind.
  const missing = KINDS.filter((k) => !captured.some((c) => c.kind === k));
  expect({ missing, failures: [...failures.values()] }).toEqual({ missing: [], failures: [] });
}, 90_000);
