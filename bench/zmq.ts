/**
 * ZeroMQ transport benchmark: the same topologies, side by side in one run,
 * on (a) our transport under Bun, (b) libzmq via pyzmq with libzmq's C
 * `zmq_proxy`, (c) zeromq.js under node (its native Proxy), plus our proxy
 * with pyzmq clients and workers (isolates the proxy against (b)).
 *
 * Scenarios: request-reply round trips through a ROUTER/DEALER proxy with
 * 1 and 16 concurrent REQ clients (1 and 4 REP workers), a pipelined DEALER
 * (256 requests in flight) through the proxy, and PUB→SUB delivered
 * messages per second with 1, 10 and 100 subscribers. 64-byte payloads.
 * Each role is its own process; each measurement runs a fixed time.
 * A second table sets CURVE beside NULL, for ours and for libzmq (pyzmq):
 * the pipelined DEALER through the proxy (every hop encrypted) and PUB→SUB
 * with 64-byte and 16 KiB messages, as CURVE ÷ NULL ratios.
 *
 * Usage: bun bench/zmq.ts [ms-per-case=3000] [scenario-filter]  ("CURVE" runs only the second table)
 * @module
 */
import { createServer } from "node:net";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { curveKeyPair } from "../shared/zmq/index.ts";

const MS = Number(process.argv[2] ?? 3000);
const FILTER = process.argv[3] ?? "";
const DIR = join(import.meta.dir, "zmq");
const ROOT = join(import.meta.dir, "..");

type Impl = "ours" | "pyzmq" | "zeromq.js";
const CMD: Record<Impl, string[]> = {
  ours: [process.execPath, join(DIR, "ours-roles.ts")],
  pyzmq: ["/usr/bin/python3", join(DIR, "pyzmq-roles.py")],
  "zeromq.js": ["node", join(DIR, "zeromqjs-roles.mjs")],
};

interface Stack {
  name: string;
  proxy: Impl;
  peers: Impl;
}
const STACKS: Stack[] = [
  { name: "ours (Bun)", proxy: "ours", peers: "ours" },
  { name: "libzmq C proxy + pyzmq", proxy: "pyzmq", peers: "pyzmq" },
  { name: "zeromq.js (node)", proxy: "zeromq.js", peers: "zeromq.js" },
  { name: "our proxy + pyzmq", proxy: "ours", peers: "pyzmq" },
];

interface Scenario {
  name: string;
  unit: string;
  /** Uses the proxy (the mixed stack applies). */
  proxied: boolean;
  run: (s: Stack) => Promise<number>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
const ep = async () => `tcp://127.0.0.1:${await freePort()}`;

class Role {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private stderr = "";
  constructor(impl: Impl, args: (string | number)[], env: Record<string, string>) {
    const proc = Bun.spawn([...CMD[impl], ...args.map(String)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.proc = proc;
    void this.read();
    void (async () => {
      for await (const c of proc.stderr) this.stderr += new TextDecoder().decode(c);
    })();
  }
  private async read(): Promise<void> {
    let buf = "";
    for await (const c of this.proc.stdout) {
      buf += new TextDecoder().decode(c);
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        this.wake?.();
      }
    }
    this.ended = true;
    this.wake?.();
  }
  /** Next JSON line printed by the role. */
  async next(): Promise<any> {
    while (this.lines.length === 0) {
      if (this.ended) throw new Error(`role exited: ${this.stderr.slice(-1500)}`);
      await new Promise<void>((r) => (this.wake = r));
    }
    return JSON.parse(this.lines.shift()!);
  }
  kill(): void {
    this.proc.kill("SIGKILL");
  }
}

type Env = Record<string, string>;
async function withRoles(f: (start: (impl: Impl, args: (string | number)[]) => Role) => Promise<number>, env: Env = {}): Promise<number> {
  const roles: Role[] = [];
  try {
    return await f((impl, args) => {
      const r = new Role(impl, args, env);
      roles.push(r);
      return r;
    });
  } finally {
    for (const r of roles) r.kill();
    await Promise.all(roles.map((r) => r.proc.exited));
  }
}

const rate = (r: { count: number; seconds: number }) => r.count / r.seconds;

function proxied(workers: number, client: (front: string) => [string, (string | number)[]]) {
  return (s: Stack, env?: Env) =>
    withRoles(async (start) => {
      const front = await ep();
      const back = await ep();
      await start(s.proxy, ["proxy", front, back]).next();
      await start(s.peers, ["worker", back, workers]).next();
      const [role, args] = client(front);
      return rate(await start(s.peers, [role, front, ...args]).next());
    }, env);
}

function pubsub(subs: number, size = 64) {
  return (s: Stack, env?: Env) =>
    withRoles(async (start) => {
      const e = await ep();
      await start(s.peers, ["pub", e, size]).next();
      const sub = start(s.peers, ["sub", e, subs, MS]);
      await sub.next();
      return rate(await sub.next());
    }, env);
}

const SCENARIOS: Scenario[] = [
  { name: "req-rep via proxy, 1 client", unit: "round trips/s", proxied: true, run: proxied(1, () => ["client", [1, MS]]) },
  { name: "req-rep via proxy, 16 clients", unit: "round trips/s", proxied: true, run: proxied(4, () => ["client", [16, MS]]) },
  { name: "pipelined DEALER via proxy (256 in flight)", unit: "replies/s", proxied: true, run: proxied(4, () => ["pipeline", [256, MS]]) },
  { name: "PUB→SUB, 1 subscriber", unit: "msgs/s delivered", proxied: false, run: pubsub(1) },
  { name: "PUB→SUB, 10 subscribers", unit: "msgs/s delivered", proxied: false, run: pubsub(10) },
  { name: "PUB→SUB, 100 subscribers", unit: "msgs/s delivered", proxied: false, run: pubsub(100) },
];

const fmt = (n: number | undefined) => (n === undefined ? "—" : Math.round(n).toLocaleString("en-US"));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "—" : (a / b).toFixed(2) + "×");

console.log(`ZeroMQ transport benchmark: ${MS} ms per case, ${navigator.hardwareConcurrency} cores, bun ${Bun.version}`);
const results: { sc: Scenario; r: Partial<Record<string, number>> }[] = [];
for (const sc of SCENARIOS) {
  if (FILTER && !sc.name.includes(FILTER)) continue;
  const r: Partial<Record<string, number>> = {};
  for (const st of STACKS) {
    if (!sc.proxied && st.proxy !== st.peers) continue;
    try {
      r[st.name] = await sc.run(st);
      console.log(`  ${sc.name.padEnd(44)} ${st.name.padEnd(24)} ${fmt(r[st.name]).padStart(10)} ${sc.unit}`);
    } catch (e) {
      console.log(`  ${sc.name.padEnd(44)} ${st.name.padEnd(24)} failed: ${(e as Error).message}`);
    }
  }
  results.push({ sc, r });
}

const [A, B, C, M] = STACKS.map((s) => s.name) as [string, string, string, string];
if (results.length > 0) console.log("\n| scenario | unit | ours (Bun) | libzmq C proxy + pyzmq | zeromq.js (node) | our proxy + pyzmq | ours ÷ libzmq | ours ÷ zeromq.js | our proxy ÷ C proxy (same pyzmq peers) |");
if (results.length > 0) console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
for (const { sc, r } of results) {
  console.log(
    `| ${sc.name} | ${sc.unit} | ${fmt(r[A])} | ${fmt(r[B])} | ${fmt(r[C])} | ${fmt(r[M])} | ${ratio(r[A], r[B])} | ${ratio(r[A], r[C])} | ${sc.proxied ? ratio(r[M], r[B]) : "—"} |`,
  );
}

// ---- CURVE beside NULL ------------------------------------------------------

const server = curveKeyPair();
const client = curveKeyPair();
const CURVE_ENV: Env = {
  BENCH_MECHANISM: "CURVE",
  BENCH_SERVER_SECRET: server.secretKey,
  BENCH_SERVER_PUBLIC: server.publicKey,
  BENCH_CLIENT_SECRET: client.secretKey,
  BENCH_CLIENT_PUBLIC: client.publicKey,
};
const CURVE_SCENARIOS: { name: string; unit: string; run: (s: Stack, env?: Env) => Promise<number> }[] = [
  { name: "CURVE: pipelined DEALER via proxy (256 in flight)", unit: "replies/s", run: proxied(4, () => ["pipeline", [256, MS]]) },
  { name: "CURVE: PUB→SUB, 1 subscriber, 64 B", unit: "msgs/s delivered", run: pubsub(1) },
  { name: "CURVE: PUB→SUB, 1 subscriber, 16 KiB", unit: "msgs/s delivered", run: pubsub(1, 16 * 1024) },
];
const IMPLS: [string, Stack][] = [
  ["ours", STACKS[0]!],
  ["libzmq", STACKS[1]!],
];
const curveRows: { name: string; unit: string; r: Partial<Record<string, number>> }[] = [];
for (const sc of CURVE_SCENARIOS) {
  if (FILTER && !sc.name.includes(FILTER)) continue;
  const r: Partial<Record<string, number>> = {};
  for (const [impl, st] of IMPLS) {
    for (const [mech, env] of [["NULL", {}], ["CURVE", CURVE_ENV]] as const) {
      const key = `${impl} ${mech}`;
      try {
        r[key] = await sc.run(st, env);
        console.log(`  ${sc.name.padEnd(52)} ${key.padEnd(14)} ${fmt(r[key]).padStart(10)} ${sc.unit}`);
      } catch (e) {
        console.log(`  ${sc.name.padEnd(52)} ${key.padEnd(14)} failed: ${(e as Error).message}`);
      }
    }
  }
  curveRows.push({ name: sc.name, unit: sc.unit, r });
}
if (curveRows.length > 0) {
  console.log("\n| scenario | unit | ours NULL | ours CURVE | ours CURVE ÷ NULL | libzmq NULL | libzmq CURVE | libzmq CURVE ÷ NULL | ours ÷ libzmq, CURVE |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const { name, unit, r } of curveRows) {
    const g = (k: string) => r[k];
    console.log(
      `| ${name.replace("CURVE: ", "")} | ${unit} | ${fmt(g("ours NULL"))} | ${fmt(g("ours CURVE"))} | ${ratio(g("ours CURVE"), g("ours NULL"))} | ` +
        `${fmt(g("libzmq NULL"))} | ${fmt(g("libzmq CURVE"))} | ${ratio(g("libzmq CURVE"), g("libzmq NULL"))} | ${ratio(g("ours CURVE"), g("libzmq CURVE"))} |`,
    );
  }
}
