/**
 * Chaos: a server frozen (SIGSTOP), not dead: its connections stay open,
 * it answers nothing. Under a closed-loop load on three servers, the
 * broker routes around it: publishes keep being acknowledged through the
 * freeze, none waits long, it is back in rotation once it runs again, and
 * nothing acknowledged is lost. Other teams' servers (a plain REP and a
 * DEALER echoing envelopes, in Python on libzmq, no heartbeats) are
 * served beside ours through the same broker, and one of them frozen is
 * routed around too. Needs /usr/bin/python3 with python3-zmq and
 * python3-msgpack: without them the test fails, it does not skip.
 *
 * Loose bounds only (a shared 2-core machine): acknowledgements in every
 * second of the freeze, no wait over 3 s.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { RoleProcess } from "./helpers/process.ts";
import { waitPeers } from "./helpers/replicas.ts";
import { expectNothingLost, TimedLoad } from "./helpers/timed-load.ts";

const PYTHON = "/usr/bin/python3";
const WORKER = join(import.meta.dir, "peers", "py_broker_worker.py");
/** The longest a publish (or a request) may wait, frozen server or not. */
const MAX_WAIT_MS = 3000;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/**
 * A cluster with a ref, a broker that logs (its rotation lines), a quiet
 * proxy and fast heartbeats; `open` lets other teams' servers (no keys) in.
 */
async function cluster(servers: string[], open = false): Promise<Cluster> {
  const c = await Cluster.start({ ref: true, proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200", ...(open ? ["--open"] : [])] });
  cleanups.push(() => c.stop());
  for (const s of servers) await c.startServer(s);
  return c;
}

/** Sends SIGSTOP; the clean-up sends SIGCONT so the process can be stopped. */
function freeze(p: RoleProcess): void {
  p.proc.kill("SIGSTOP");
  cleanups.push(() => void p.proc.kill("SIGCONT"));
}

test("a server frozen under load is routed around: acknowledgements go on, no long waits, it comes back, nothing is lost", async () => {
  const names = ["server1", "server2", "server3"];
  const c = await cluster(names);
  await waitPeers(c, names, 2);
  const load = await new TimedLoad(c.endpoint("brokerFrontend"), c.endpoint("proxyXpub"), { tag: "frz", workers: 4, timeoutMs: MAX_WAIT_MS }).start();
  cleanups.push(() => load.stop());
  await load.until(100);

  const victim = c.servers.get("server2")!;
  const broker = c.broker!;
  const brokerFrom = broker.output.length;
  freeze(victim);
  const t0 = Date.now();
  await Bun.sleep(5000);
  const t1 = Date.now();

  // The broker took it out of rotation, and every second of the freeze saw acknowledgements.
  expect(broker.output.slice(brokerFrom).filter((l) => /out of rotation/.test(l)).length).toBeGreaterThan(0);
  const perSecond = [1, 2, 3, 4].map((k) => load.ackedBetween(t0 + k * 1000, t0 + (k + 1) * 1000));
  expect(perSecond.every((n) => n > 0)).toBe(true);
  expect(load.ackedBetween(t0, t1)).toBeGreaterThanOrEqual(40);
  expect(load.longestWait(t0, t1)).toBeLessThanOrEqual(MAX_WAIT_MS);
  expect(load.timeouts).toBe(0);

  // Woken up, it answers again: back in rotation, and it takes publishes sent after that.
  victim.proc.kill("SIGCONT");
  await broker.waitFor(/back in rotation/, 10_000, "any", brokerFrom);
  const back = Date.now();
  await eventually(
    () => {
      const fresh = new Set(load.acks.filter((a) => a.sent > back).map((a) => a.id));
      const taken = victim.grep(/<- broker publish /).some((l) => fresh.has(/ id=(\S+)/.exec(l)?.[1] ?? ""));
      if (!taken) throw new Error(`server2 took none of the ${fresh.size} publishes sent since it came back`);
    },
    { timeoutMs: 15_000, what: "server2 taking publishes again" },
  );
  expect(load.longestWait(back)).toBeLessThanOrEqual(MAX_WAIT_MS);

  const replicas = names.map((n) => ({ name: n, status: () => c.status(n) }));
  expect(await expectNothingLost(load, replicas, c.client(5000))).toBeGreaterThan(200);
}, 90_000);

test("other teams' servers (a REP and a DEALER, no heartbeats) are served beside ours; one frozen is routed around after about a second", async () => {
  const probe = Bun.spawnSync([PYTHON, "-c", "import zmq, msgpack"]);
  if (probe.exitCode !== 0) {
    throw new Error(`${PYTHON} cannot import zmq and msgpack (apt-get install python3-zmq python3-msgpack): ${probe.stderr.toString()}`);
  }
  const c = await cluster(["server1"], true);
  const foreign = new Map<string, RoleProcess>();
  for (const mode of ["rep", "dealer"]) {
    const name = `py-${mode}`;
    const p = new RoleProcess([WORKER, "--mode", mode, "--connect", c.endpoint("brokerBackend"), "--name", name], { label: name, executable: PYTHON });
    cleanups.push(() => p.stop());
    await p.waitFor(/"event": "ready"/, 10_000, "stdout");
    foreign.set(name, p);
  }
  const client = c.client(5000);
  expect((await client.request("login", { user: "ana" })).data.status).toBe("sucesso");

  /** Who answered a `users` request: a foreign server names itself, ours lists ana. */
  const ask = async (): Promise<{ by: string; ms: number }> => {
    const t = Date.now();
    const r = await client.request("users");
    const users = r.data.users as string[];
    expect(Array.isArray(users)).toBe(true);
    return { by: users.includes("ana") ? "ours" : users.join(), ms: Date.now() - t };
  };
  /** Asks `n` times in a row; returns who answered each and how long it took. */
  const round = async (n: number) => {
    const out: { by: string; ms: number }[] = [];
    for (let i = 0; i < n; i++) out.push(await ask());
    return out;
  };

  // Requests reach all three.
  await eventually(async () => {
    const seen = new Set((await round(9)).map((a) => a.by));
    expect([...seen].sort()).toEqual(["ours", "py-dealer", "py-rep"]);
  }, { timeoutMs: 15_000, what: "requests reaching ours and both foreign servers" });

  for (const [name, p] of foreign) {
    const brokerFrom = c.broker!.output.length;
    freeze(p);
    // One request or two land on it before it counts as stalled; each is answered by another.
    const frozen = await round(12);
    expect(frozen.every((a) => a.by !== name)).toBe(true);
    expect(Math.max(...frozen.map((a) => a.ms))).toBeLessThanOrEqual(MAX_WAIT_MS);
    expect(frozen.some((a) => a.ms >= 500)).toBe(true); // the one it held waited for the stall to be seen
    expect(c.broker!.output.slice(brokerFrom).some((l) => /out of rotation/.test(l))).toBe(true);
    // Woken up, it answers again.
    p.proc.kill("SIGCONT");
    await eventually(async () => {
      expect((await round(6)).some((a) => a.by === name)).toBe(true);
    }, { timeoutMs: 15_000, what: `${name} answering again` });
  }
}, 60_000);
