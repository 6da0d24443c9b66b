// Benchmark roles on the `zeromq` npm package (v6) under node; the proxy is
// its Proxy class. Same command line and output as ours-roles.ts (see there).
import zmq from "zeromq";

const [role, ep, a, b] = process.argv.slice(2);
const out = (o) => console.log(JSON.stringify(o));
const PAYLOAD = Buffer.alloc(64, 120);
const WARMUP_MS = 300;

switch (role) {
  case "proxy": {
    const p = new zmq.Proxy(
      new zmq.Router({ sendHighWaterMark: 100000, receiveHighWaterMark: 100000 }),
      new zmq.Dealer({ sendHighWaterMark: 100000, receiveHighWaterMark: 100000 }),
    );
    await p.frontEnd.bind(ep);
    await p.backEnd.bind(a);
    out({ ready: true });
    await p.run();
    break;
  }
  case "worker": {
    for (let i = 0; i < Number(a); i++) {
      const rep = new zmq.Reply({ linger: 0 });
      rep.connect(ep);
      (async () => {
        for await (const m of rep) await rep.send(m);
      })();
    }
    out({ ready: true });
    break;
  }
  case "client": {
    const n = Number(a);
    const ms = Number(b);
    const socks = Array.from({ length: n }, () => {
      const s = new zmq.Request({ linger: 0 });
      s.connect(ep);
      return s;
    });
    for (const s of socks) {
      await s.send(PAYLOAD);
      await s.receive();
    }
    let count = 0;
    const t0 = performance.now();
    const end = t0 + ms;
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
    const d = new zmq.Dealer({ linger: 0, sendHighWaterMark: 100000, receiveHighWaterMark: 100000 });
    d.connect(ep);
    await d.send(["", PAYLOAD]);
    await d.receive();
    for (let i = 0; i < window; i++) await d.send(["", PAYLOAD]);
    let count = 0;
    const t0 = performance.now();
    const end = t0 + ms;
    while (performance.now() < end) {
      await d.receive();
      count++;
      await d.send(["", PAYLOAD]);
    }
    out({ count, seconds: (performance.now() - t0) / 1000 });
    process.exit(0);
  }
  case "pub": {
    const pub = new zmq.Publisher({ linger: 0 });
    await pub.bind(ep);
    const msg = Buffer.alloc(Number(a ?? 64), 120);
    out({ ready: true });
    for (;;) await pub.send(msg);
  }
  case "sub": {
    const n = Number(a);
    const ms = Number(b);
    let count = 0;
    let t0 = 0;
    let first = false;
    let counting = false;
    let done;
    const finished = new Promise((r) => (done = r));
    for (let i = 0; i < n; i++) {
      const s = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 100000 });
      s.subscribe();
      s.connect(ep);
      (async () => {
        for await (const _m of s) {
          if (!first) {
            first = true;
            setTimeout(() => {
              counting = true;
              t0 = performance.now();
              setTimeout(done, ms);
            }, WARMUP_MS);
          }
          if (counting) count++;
        }
      })();
    }
    out({ ready: true });
    await finished;
    out({ count, seconds: (performance.now() - t0) / 1000 });
    process.exit(0);
  }
  default:
    throw new Error(`unknown role ${role}`);
}
