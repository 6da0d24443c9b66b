/**
 * The delivery loss seen through the whole cluster (2,000 idle subscribers
 * on other topics, 2,000 msg/s for 30 s: the channel's subscribers got a
 * third of the deliveries, then silence; every publish acknowledged, no
 * error anywhere), reproduced at the transport level.
 *
 * The mechanism: the proxy's cost per message grew with its connections
 * (every message was matched against every subscriber), so under that rate
 * it fell behind. Its pump then forwarded everything one read had brought
 * in a single go, and its writes waited for the end of the event-loop
 * turn: the longer a turn, the more the next read brought, so turns grew
 * to seconds (11 s measured in the cluster) during which nothing was
 * written and no timer ran. Subscribers saw bursts seconds apart, and what
 * the proxy still held when a run ended never arrived.
 *
 * Here: a proxy in this process with 1,500 idle subscriber connections
 * (another process), two real subscribers and a publisher bursting small
 * messages (a third process). Asserted: every message reaches both real
 * subscribers, and the proxy's event loop keeps turning while it works off
 * the backlog (a bounded number of messages forwarded per turn); before the
 * subscription index, the proxy's batches and the early writes, one turn
 * forwarded a whole read (thousands of messages).
 * @module
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proxy, PROXY_BATCH } from "../shared/zmq/proxy.ts";
import { XPublisher, XSubscriber } from "../shared/zmq/index.ts";

const ZMQ = join(import.meta.dir, "..", "shared", "zmq", "index.ts");
const IDLE = 1500;
const BURST = 30_000;

const idleScript = `
import { Subscriber } from ${JSON.stringify(ZMQ)};
const [ep, n] = [process.argv[2], Number(process.argv[3])];
const socks = [];
for (let i = 0; i < n; i++) {
  const s = new Subscriber();
  s.connect(ep);
  s.subscribe("idle-" + i + "-" + "x".repeat(i % 7));
  socks.push(s);
}
setInterval(() => {}, 1000);
`;

/** Two real subscribers and a publisher: probes until both hear it, bursts, reports what arrived. */
const endsScript = `
import { Publisher, Subscriber } from ${JSON.stringify(ZMQ)};
const [xsub, xpub, burst] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const got = [0, 0];
let probed = [false, false];
for (let i = 0; i < 2; i++) {
  const s = new Subscriber({ receiveHighWaterMark: 1_000_000 });
  s.connect(xpub);
  s.subscribe("chan");
  (async () => {
    for await (const m of s) {
      if (m[1].toString() === "probe") probed[i] = true;
      else got[i]++;
    }
  })();
}
const pub = new Publisher({ sendHighWaterMark: 1_000_000 });
pub.connect(xsub);
while (!probed[0] || !probed[1]) {
  await pub.send(["chan", "probe"]);
  await Bun.sleep(20);
}
await Bun.sleep(200);
const body = Buffer.alloc(16, 97);
for (let i = 0; i < burst; i += 2000) {
  for (let k = i; k < Math.min(burst, i + 2000); k++) pub.trySend([Buffer.from("chan"), body]);
  await new Promise((r) => setImmediate(r));
}
const deadline = Date.now() + 120_000;
while ((got[0] < burst || got[1] < burst) && Date.now() < deadline) await Bun.sleep(50);
await Bun.sleep(300);
console.log(JSON.stringify({ got }));
process.exit(0);
`;

const procs: { kill(): void }[] = [];
let dir = "";
afterAll(async () => {
  for (const p of procs) p.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a proxy with a backlog and many idle subscribers", () => {
  it("delivers every message and keeps its event loop turning", async () => {
    dir = await mkdtemp(join(tmpdir(), "zmq-backlog-"));
    await writeFile(join(dir, "idle.ts"), idleScript);
    await writeFile(join(dir, "ends.ts"), endsScript);
    const xsub = new XSubscriber({ receiveHighWaterMark: 100_000 });
    const xpub = new XPublisher({ sendHighWaterMark: 100_000 });
    await xsub.bind("tcp://127.0.0.1:0");
    await xpub.bind("tcp://127.0.0.1:0");
    let forwarded = 0;
    const send = xpub.trySend.bind(xpub);
    xpub.trySend = (m) => {
      forwarded++;
      return send(m);
    };
    const done = proxy(xsub, xpub);
    try {
      const idle = Bun.spawn([process.execPath, join(dir, "idle.ts"), xpub.lastEndpoint!, String(IDLE)], { stdout: "inherit", stderr: "inherit" });
      procs.push(idle);
      while (xpub.connectedPeers().length < IDLE) await Bun.sleep(20);

      // messages forwarded within one event-loop turn, counted turn by turn
      let maxPerTurn = 0;
      let atTurn = forwarded;
      let turning = true;
      const turn = () => {
        maxPerTurn = Math.max(maxPerTurn, forwarded - atTurn);
        atTurn = forwarded;
        if (turning) setImmediate(turn);
      };
      setImmediate(turn);

      const ends = Bun.spawn([process.execPath, join(dir, "ends.ts"), xsub.lastEndpoint!, xpub.lastEndpoint!, String(BURST)], { stdout: "pipe", stderr: "inherit" });
      procs.push(ends);
      const out = await new Response(ends.stdout).text();
      turning = false;
      const { got } = JSON.parse(out.trim().split("\n").pop()!) as { got: number[] };
      console.log(`burst of ${BURST} through a proxy with ${IDLE} idle subscribers: received ${got.join(", ")}; at most ${maxPerTurn} forwarded in one turn`);
      expect(got).toEqual([BURST, BURST]);
      expect(maxPerTurn).toBeLessThanOrEqual(4 * PROXY_BATCH);
    } finally {
      xsub.close();
      xpub.close();
      await done;
    }
  }, 180_000);
});
