/**
 * Conformance with foreign clients, written the way other people write them
 * (shared/spec/dialects.md), against the real cluster (ref, broker, proxy,
 * two servers):
 *
 * - test/peers/py_conformance_client.py: pyzmq + msgpack, integer
 *   millisecond timestamps (uint64 on the wire);
 * - test/peers/node_conformance_client.mjs: the `zeromq` package and
 *   @msgpack/msgpack under node, `timestamp: Date.now()` (uint64);
 * - test/peers/py_seed_client.py: the seed team's flat `{command, ...}`
 *   dialect, with a contract client (TestClient) on the other end.
 *
 * Each drives every client service and both delivery kinds, then sends bad
 * input. The assertions are what a user of those clients would check: every
 * request answered, success statuses, posts in history in order, deliveries
 * with the exact text. The reference peers (python3-zmq, python3-msgpack,
 * zeromq and @msgpack/msgpack for node) are required: missing ones fail.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { join } from "node:path";
import type { TestClient } from "./helpers/chat-client.ts";
import { Cluster } from "./helpers/cluster.ts";
import { RoleProcess } from "./helpers/process.ts";
import { waitPeers } from "./helpers/replicas.ts";

const PYTHON = "/usr/bin/python3";
const NODE = Bun.which("node") ?? "/usr/bin/node";
const PEERS = join(import.meta.dir, "peers");
const PY_CLIENT = join(PEERS, "py_conformance_client.py");
const NODE_CLIENT = join(PEERS, "node_conformance_client.mjs");
const SEED_CLIENT = join(PEERS, "py_seed_client.py");
/** Generous: the whole run of one client on a busy 2-core machine. */
const RUN_MS = 150_000;

type Line = { event: string; [k: string]: any };
interface Run {
  label: string;
  code: number;
  lines: Line[];
  stderr: string[];
}

let cluster: Cluster;
const procs: RoleProcess[] = [];

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1", "server2"], ref: true, readyTimeoutMs: 30_000 });
  // Up, as a user starting clients would find it: each server knows the other.
  await waitPeers(cluster, ["server1", "server2"], 1, 30_000);
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop("SIGKILL", 1000)));
  await cluster?.stop();
});

function spawnPeer(label: string, executable: string, argv: string[]): RoleProcess {
  const p = new RoleProcess(argv, { label, executable });
  procs.push(p);
  return p;
}

/** Waits for the peer to exit (killing it after `timeoutMs`) and parses its JSON lines. */
async function finish(p: RoleProcess, timeoutMs = RUN_MS): Promise<Run> {
  const timer = setTimeout(() => void p.stop("SIGKILL", 1000), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  const lines = p.stdout
    .filter((l) => l.trim() !== "")
    .map((l): Line => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        return { event: "unparsable", text: l };
      }
    });
  return { label: p.label, code, lines, stderr: p.stderr };
}

/** The contract clients written elsewhere; each run's names start with `prefix`. */
const FOREIGN = [
  { client: "Python client", how: "pyzmq, msgpack, int ms timestamps", label: "py_conformance_client", executable: PYTHON, script: PY_CLIENT, prefix: "py", alsoAccepted: [] },
  { client: "Node client", how: "zeromq, @msgpack/msgpack, Date.now()", label: "node_conformance_client", executable: NODE, script: NODE_CLIENT, prefix: "js", alsoAccepted: ["timestamp-date-ext"] },
];
type Foreign = (typeof FOREIGN)[number];

function runForeign(f: Foreign, mode: string, ...args: string[]): Promise<Run> {
  return finish(spawnPeer(`${f.label} ${mode}`, f.executable, [f.script, mode, ...endpoints(), ...args]));
}

function endpoints(): string[] {
  return [cluster.endpoint("brokerFrontend"), cluster.endpoint("proxyXpub")];
}

const replies = (r: Run) => r.lines.filter((l) => l.event === "reply");
const events = (r: Run, ...names: string[]) => r.lines.filter((l) => names.includes(l.event));

/** The reply line of a step (the first, or all with `all`). */
function reply(r: Run, step: string): Line {
  const l = r.lines.find((x) => x.event === "reply" && x.step === step);
  if (!l) throw new Error(`${r.label}: no reply for step '${step}'; events: ${r.lines.map((x) => x.step ?? x.event).join(", ")}`);
  return l;
}

/** What a user reads from a reply: the status and the error text, if any. */
function outcome(r: Run, step: string): { step: string; status: unknown; error?: unknown } {
  const d = reply(r, step).data ?? {};
  const error = d.message !== undefined && typeof d.message === "string" ? d.message : d.description;
  return error === undefined ? { step, status: d.status } : { step, status: d.status, error };
}

function expectStatus(r: Run, step: string, status: string): void {
  const o = outcome(r, step);
  if (o.status === status) return;
  expect(o).toEqual({ step, status }); // fails, showing the server's error text
}

const texts = (msgs: unknown): string[] => (Array.isArray(msgs) ? msgs.map((m: { message?: string }) => m?.message ?? "?") : []);

it("the reference peers are installed: python3-zmq, python3-msgpack, node with zeromq and @msgpack/msgpack", () => {
  const problems: string[] = [];
  const py = Bun.spawnSync([PYTHON, "-c", "import zmq, msgpack"], { stderr: "pipe" });
  if (py.exitCode !== 0) problems.push(`${PYTHON}: ${py.stderr.toString().trim() || "not runnable"} (apt-get install python3-zmq python3-msgpack)`);
  const js = Bun.spawnSync([NODE, "-e", "require('zeromq'); require('@msgpack/msgpack')"], { cwd: PEERS, stderr: "pipe" });
  if (js.exitCode !== 0) problems.push(`${NODE}: ${js.stderr.toString().trim().split("\n")[0] || "not runnable"} (npm install)`);
  expect(problems).toEqual([]);
});

/** Every client service and both delivery kinds, as a contract client written elsewhere uses them. */
function checkServices(r: Run, user: string, peer: string, channel: string): void {
  expect({ client: r.label, stderr: r.stderr }).toEqual({ client: r.label, stderr: [] });
  for (const step of ["login", "login-peer", "login-prefixed"]) expectStatus(r, step, "sucesso");
  expect(reply(r, "users").data?.users).toEqual(expect.arrayContaining([user, peer, `${user}bel`]));
  expectStatus(r, "channel", "sucesso");
  expect(outcome(r, "channel-again")).toMatchObject({ status: "erro", error: expect.any(String) });
  expect(reply(r, "channels").data?.channels).toEqual(expect.arrayContaining([channel]));
  for (const l of replies(r).filter((x) => x.step === "sync")) expect(l.data?.status).toBe("OK");
  expect(events(r, "subscribed", "error").map((l) => l.event)).toEqual(["subscribed"]);

  const publishes = ["publish-1", "publish-2", "publish-3", "publish-id", "publish-retry"];
  for (const step of [...publishes, "message-1", "message-2", "message-prefixed"]) expectStatus(r, step, "OK");
  const posts = publishes.slice(0, 4).map((s) => reply(r, s).sent.message as string);
  const ids = publishes.slice(0, 4).map((s) => reply(r, s).data.id as string);
  for (const id of ids) expect(typeof id).toBe("string");
  expect(ids[3]).toBe(reply(r, "publish-id").sent.id);
  expect(reply(r, "publish-retry").data.id).toBe(ids[3]); // a retry is the same message

  // Every request answered, each reply for its own service, Lamport-stamped with integers.
  expect(events(r, "timeout", "unparsable")).toEqual([]);
  for (const l of replies(r)) {
    expect({ step: l.step, service: l.service }).toEqual({ step: l.step, service: l.request_service });
    expect({ step: l.step, types: l.types }).toEqual({ step: l.step, types: { timestamp: "int", clock: "int" } });
    expect({ step: l.step, after: l.data.clock > l.sent_clock }).toEqual({ step: l.step, after: true });
  }

  // Channel deliveries: each post once, with the exact text, sender and id.
  const chan = events(r, "delivery").filter((d) => d.topic === channel);
  expect(chan.map((d) => d.data?.message).sort()).toEqual([...posts].sort());
  for (const d of chan) {
    const i = posts.indexOf(d.data.message);
    expect(d.service).toBe("publish");
    expect(d.data).toMatchObject({ user, channel, message: posts[i], id: ids[i] });
    expect(d.types).toEqual({ timestamp: "int", clock: "int" });
  }
  // Private delivery on the user's own topic; the prefixed user's is dropped by the exact compare.
  const pm = reply(r, "message-2");
  const mine = events(r, "delivery").filter((d) => d.topic === user && !String(d.data?.message).startsWith("sync "));
  expect(mine.map((d) => ({ service: d.service, data: d.data }))).toEqual([
    {
      service: "message",
      data: expect.objectContaining({ src: peer, dst: user, message: pm.sent.message, id: pm.sent.id }),
    },
  ]);
  expect(mine[0]!.types).toEqual({ timestamp: "int", clock: "int" });
  expect(events(r, "delivery").filter((d) => d.topic !== channel && d.topic !== user)).toEqual([]);
  expect(events(r, "ignored").map((l) => l.topic)).toContain(`${user}bel`);

  // History: the posts in order (the retry stored once), paged by limit and by `before`.
  for (const step of ["history-channel", "history-limit", "history-before-id", "history-before-clock"]) expectStatus(r, step, "OK");
  const page = reply(r, "history-channel").data.messages;
  expect(texts(page)).toEqual(posts);
  expect(page.map((m: { id: string }) => m.id)).toEqual(ids);
  for (const m of page) expect(m).toMatchObject({ user, channel, timestamp: expect.any(Number), clock: expect.any(Number) });
  expect(texts(reply(r, "history-limit").data.messages)).toEqual(posts.slice(2));
  expect(texts(reply(r, "history-before-id").data.messages)).toEqual(posts.slice(0, 2));
  expect(texts(reply(r, "history-before-clock").data.messages)).toEqual(posts.slice(0, 2));
  const conversation = [reply(r, "message-1").sent.message, pm.sent.message];
  for (const step of ["history-private", "history-private-limit", "history-private-before"]) expectStatus(r, step, "OK");
  expect(texts(reply(r, "history-private").data.messages)).toEqual(conversation);
  expect(reply(r, "history-private").data.messages[0]).toMatchObject({ src: user, dst: peer });
  expect(texts(reply(r, "history-private-limit").data.messages)).toEqual(conversation.slice(1));
  expect(texts(reply(r, "history-private-before").data.messages)).toEqual(conversation.slice(0, 1));

  expect(r.lines.at(-1)?.event).toBe("done");
  expect(r.code).toBe(0);
}

/** Bad input: refused with `erro` on the same connection, after which writes still work. */
const REFUSED = ["clock-negative", "clock-string", "clock-uint64-max", "clock-nan", "clock-inf", "clock-max-safe"];
const ACCEPTED = ["timestamp-iso", "timestamp-seconds", "clock-float"];
const GARBAGE: Record<string, string> = {
  "garbage-reserved-byte": "error",
  "garbage-array": "error",
  "garbage-no-data": "publish",
  "garbage-unknown-service": "frobnicate",
  "garbage-peer-service": "election",
};

function checkBad(r: Run, alsoAccepted: string[] = []): void {
  expect({ client: r.label, stderr: r.stderr }).toEqual({ client: r.label, stderr: [] });
  expectStatus(r, "login", "sucesso");
  expectStatus(r, "channel", "sucesso");
  expect(events(r, "timeout", "unpackable", "unparsable", "error")).toEqual([]);
  for (const step of ACCEPTED) expectStatus(r, step, "OK");
  for (const step of REFUSED) expect(outcome(r, step)).toMatchObject({ status: "erro", error: expect.stringMatching(/\S/) });
  for (const [step, service] of Object.entries(GARBAGE)) {
    const l = reply(r, step);
    expect({ step, service: l.service, status: l.data?.status }).toEqual({ step, service, status: "erro" });
  }
  for (const step of alsoAccepted) expectStatus(r, step, "OK");
  const after = replies(r).filter((l) => String(l.step).startsWith("after-"));
  // One after each case, one after the garbage, five after the last case.
  expect(after.length).toBe(REFUSED.length - 1 + ACCEPTED.length + alsoAccepted.length + 1 + 5);
  for (const l of after) expectStatus(r, l.step, "OK");
  for (const l of replies(r)) {
    expect({ step: l.step, clock: Number.isSafeInteger(l.data?.clock) && l.data.clock < 2 ** 53 }).toEqual({ step: l.step, clock: true });
  }
  // What was accepted is in the history, in order; nothing refused was stored.
  expectStatus(r, "history-bad", "OK");
  const stored = replies(r)
    .filter((l) => l.request_service === "publish" && l.sent?.message !== undefined && l.data?.status === "OK")
    .map((l) => l.sent.message as string);
  expect(texts(reply(r, "history-bad").data.messages)).toEqual(stored);
  for (const step of REFUSED) expect(stored).not.toContain(`bad input ${step}`);
  expect(r.lines.at(-1)?.event).toBe("done");
  expect(r.code).toBe(0);
}

const CONTRACT_TEXT = "hello seed, from a contract client";
let contract: TestClient;

it(
  "seed-dialect client: flat requests answered flat, publishes to general uncreated, reads deliveries; interop with a contract client",
  async () => {
    contract = cluster.client(10_000);
    contract.subscribe("general");
    await contract.sync("tcana");
    const seed = spawnPeer("py_seed_client", PYTHON, [SEED_CLIENT, ...endpoints(), "seedana", "tcana", CONTRACT_TEXT]);
    await seed.waitFor(/"event": "waiting"/, RUN_MS, "stdout").catch(() => undefined);
    const post = await contract.request("publish", { user: "tcana", channel: "general", message: CONTRACT_TEXT });
    const r = await finish(seed);

    expect({ client: r.label, stderr: r.stderr }).toEqual({ client: r.label, stderr: [] });
    const seedReply = (step: string) => reply(r, step).reply ?? {};
    for (const step of ["login", "users", "channels", "publish-1", "publish-2", "message", "channel", "channels-after"]) {
      const got = seedReply(step);
      const shown = { step, status: got.status, ...(got.status === "OK" ? {} : { message: got.message ?? got.description }) };
      expect(shown).toEqual({ step, status: "OK" });
    }
    for (const l of replies(r)) {
      // Their clients raise their counter to the reply's top-level clock (C#: Convert.ToInt64).
      expect({ step: l.step, clock: l.types?.clock }).toEqual({ step: l.step, clock: "int" });
      expect({ step: l.step, after: l.reply.clock > l.request.timestamp }).toEqual({ step: l.step, after: true });
    }
    expect(seedReply("users").users).toEqual(expect.arrayContaining(["seedana", "tcana"]));
    expect(seedReply("channels-after").channels).toEqual(expect.arrayContaining(["general", "seedana-room"]));
    const unknown = seedReply("unknown");
    expect(unknown.status).not.toBe("OK");
    expect(unknown.message).toEqual(expect.stringMatching(/\S/));
    expect(events(r, "timeout", "error", "unparsable")).toEqual([]);
    expect(events(r, "subscribed").length).toBe(1);

    // What their subscriber shows: the top-level display line and an integer timestamp.
    const deliveries = events(r, "delivery");
    for (const d of deliveries) {
      expect({ topic: d.topic, message: typeof d.message, timestamp: d.timestamp_type }).toEqual({
        topic: d.topic,
        message: "string",
        timestamp: "int",
      });
    }
    const lines = (topic: string) => deliveries.filter((d) => d.topic === topic).map((d) => d.message as string);
    const own = ["seedana: hi from the seed client", "seedana: a second line"];
    for (const text of own) expect(lines("general").some((l) => l.includes(text))).toBe(true);
    expect(lines("general").some((l) => l.includes(CONTRACT_TEXT) && l.includes("tcana"))).toBe(true);
    expect(lines("seedana").some((l) => l.includes("seedana: sync "))).toBe(true);
    expect(r.lines.at(-1)?.event).toBe("done");
    expect(r.code).toBe(0);

    // The contract client on the other end: the seed's posts as {service, data}, and its private message.
    expect(post.data).toMatchObject({ status: "OK" });
    for (const text of own) {
      const got = await contract.waitDelivery((p) => p.topic === "general" && p.payload.data?.message === text, 10_000);
      expect(got.payload).toMatchObject({ service: "publish", data: { user: "seedana", channel: "general", message: text } });
      expect(Number.isInteger(got.payload.data.timestamp) && Number.isInteger(got.payload.data.clock)).toBe(true);
    }
    const pm = await contract.waitDelivery((p) => p.topic === "tcana" && p.payload.data?.src === "seedana", 10_000);
    expect(pm.payload).toMatchObject({ service: "message", data: { src: "seedana", dst: "tcana", message: "seedana: psst tcana" } });
    const history = await contract.request("history", { channel: "general" });
    expect(texts(history.data.messages).filter((t) => [...own, CONTRACT_TEXT].includes(t))).toEqual([...own, CONTRACT_TEXT]);
  },
  RUN_MS + 60_000,
);

/** Each foreign client's `services` run, by prefix. */
const serviceRuns = new Map<string, Run>();

for (const f of FOREIGN) {
  it(
    `${f.client} (${f.how}): every service, both deliveries, history paging`,
    async () => {
      const run = await runForeign(f, "services", `${f.prefix}ana`, `${f.prefix}bob`, `${f.prefix}chan`);
      serviceRuns.set(f.prefix, run);
      checkServices(run, `${f.prefix}ana`, `${f.prefix}bob`, `${f.prefix}chan`);
    },
    RUN_MS + 10_000,
  );
}

it(
  "a contract client reads the foreign clients' channels with the same history on every request",
  async () => {
    const c = contract ?? cluster.client(10_000);
    for (const f of FOREIGN) {
      const channel = `${f.prefix}chan`;
      const run = serviceRuns.get(f.prefix);
      const seen = run ? reply(run, "history-channel").data?.messages : undefined;
      expect({ channel, seen: Array.isArray(seen) && seen.length === 4 }).toEqual({ channel, seen: true });
      const pages = [];
      for (let i = 0; i < 4; i++) pages.push((await c.request("history", { channel })).data.messages); // round-robin: both servers
      for (const page of pages) expect(page).toEqual(seen);
    }
  },
  60_000,
);

for (const f of FOREIGN) {
  it(
    `${f.client}, bad input: refused on the same connection, and writes go on working`,
    async () => {
      checkBad(await runForeign(f, "bad", `${f.prefix}bad`, `${f.prefix}bad-chan`), f.alsoAccepted);
    },
    RUN_MS + 10_000,
  );
}
