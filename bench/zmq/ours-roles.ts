/**
 * Benchmark roles on our transport (Bun). Same command line and output as
 * pyzmq-roles.py and zeromqjs-roles.mjs, so bench/zmq.ts can mix them:
 *
 *   proxy FRONT BACK            ROUTER on FRONT, DEALER on BACK, proxy between
 *   worker BACK N               N REP echo sockets connected to BACK
 *   client FRONT N MS           N concurrent REQ loops for MS ms
 *   pipeline FRONT WINDOW MS    one DEALER keeping WINDOW requests in flight
 *   pub EP SIZE                 PUB bound on EP, publishing as fast as it can
 *   sub EP N MS                 N SUBs; counts messages for MS ms after the first
 *
 * Long-running roles print `{"ready":true}`; measuring roles print
 * `{"count":n,"seconds":s}` and exit. With BENCH_MECHANISM=CURVE (and the
 * Z85 keys in BENCH_SERVER_SECRET, BENCH_SERVER_PUBLIC, BENCH_CLIENT_SECRET,
 * BENCH_CLIENT_PUBLIC) every binding socket is a CURVE server and every
 * connecting one a CURVE client.
 * @module
 */
import { Dealer, proxy, Publisher, Reply, Request, Router, Subscriber, type SocketOptions } from "../../shared/zmq/index.ts";

const [role, ep, a, b] = process.argv.slice(2);
const out = (o: object) => console.log(JSON.stringify(o));
const PAYLOAD = Buffer.alloc(64, 120);
const WARMUP_MS = 300;
const yieldIO = () => new Promise((r) => setImmediate(r));
process.on("SIGTERM", () => process.exit(0)); // clean exit (lets --cpu-prof write its profile)
const env = process.env;
const curve = env.BENCH_MECHANISM === "CURVE";
/** Security options for a socket that binds (server) or connects (client). */
const BINDS: SocketOptions = curve ? { curveServer: true, curveSecretKey: env.BENCH_SERVER_SECRET! } : {};
const CONNECTS: SocketOptions = curve
  ? { curveServerKey: env.BENCH_SERVER_PUBLIC!, curveSecretKey: env.BENCH_CLIENT_SECRET!, curvePublicKey: env.BENCH_CLIENT_PUBLIC! }
  : {};

async function main(): Promise<void> {
  switch (role) {
    case "proxy": {
      const front = new Router({ ...BINDS, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
      const back = new Dealer({ ...BINDS, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
      await front.bind(ep!);
      await back.bind(a!);
      out({ ready: true });
      await proxy(front, back);
      return;
    }
    case "worker": {
      for (let i = 0; i < Number(a); i++) {
        const rep = new Reply(CONNECTS);
        rep.connect(ep!);
        void (async () => {
          for await (const m of rep) await rep.send(m);
        })();
      }
      out({ ready: true });
      return;
    }
    case "client": {
      const n = Number(a);
      const ms = Number(b);
      const socks = Array.from({ length: n }, () => {
        const s = new Request(CONNECTS);
        s.connect(ep!);
        return s;
      });
      for (const s of socks) {
        await s.send(PAYLOAD);
        await s.receive();
      }
      let count = 0;
      const end = performance.now() + ms;
      const t0 = performance.now();
      await Promise.all(
        socks.map(async (s) => {
          while (performance.now() < end) {
            await s.send(PAYLOAD);
            await s.receive();
            count++;
          }
        }),
      );
      out({ count, seconds: (performance.now() - t0) / 1000 });
      process.exit(0);
    }
    case "pipeline": {
      const window = Number(a);
      const ms = Number(b);
      const d = new Dealer({ ...CONNECTS, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
      d.connect(ep!);
      await d.send(["", PAYLOAD]);
      await d.receive();
      for (let i = 0; i < window; i++) await d.send(["", PAYLOAD]);
      let count = 0;
      const t0 = performance.now();
      const end = t0 + ms;
      while (performance.now() < end) {
        await d.readable();
        while (d.tryReceive() !== null) {
          count++;
          await d.send(["", PAYLOAD]);
        }
      }
      out({ count, seconds: (performance.now() - t0) / 1000 });
      process.exit(0);
    }
    case "pub": {
      const pub = new Publisher(BINDS);
      await pub.bind(ep!);
      const msg = Buffer.alloc(Number(a ?? 64), 120);
      out({ ready: true });
      for (;;) {
        for (let i = 0; i < 2000; i++) await pub.send(msg);
        await yieldIO();
      }
    }
    case "sub": {
      const n = Number(a);
      const ms = Number(b);
      // the window opens WARMUP ms after the first message (late joiners connected by then)
      let count = 0;
      let t0 = 0;
      let first = false;
      let counting = false;
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      for (let i = 0; i < n; i++) {
        const s = new Subscriber({ ...CONNECTS, receiveHighWaterMark: 100_000 });
        s.subscribe();
        s.connect(ep!);
        void (async () => {
          for (;;) {
            await s.readable();
            if (!first) {
              first = true;
              setTimeout(() => {
                counting = true;
                t0 = performance.now();
                setTimeout(resolveDone, ms);
              }, WARMUP_MS);
            }
            let k = 0;
            while (s.tryReceive() !== null) k++;
            if (counting) count += k;
          }
        })();
      }
      out({ ready: true });
      await done;
      out({ count, seconds: (performance.now() - t0) / 1000 });
      process.exit(0);
    }
    default:
      throw new Error(`unknown role ${role}`);
  }
}

await main();
