/**
 * One side of the web benchmark, in a process of its own: `--kind ws`
 * opens N browser-protocol sessions (WebSockets to the gateway), `--kind
 * zmq` N terminal-protocol sessions (the client's ChatSession, REQ to the
 * broker and SUB to the proxy). Every session logs in and joins one
 * channel; then one more session publishes `--rate` messages a second
 * for `--seconds`, each stamped with its send time, and every session
 * records how long each took to arrive.
 *
 * Protocol with the parent: prints `ready {json}` once all sessions are
 * in (the parent measures the gateway then), waits for a line on stdin,
 * runs the load, prints `result {json}` and exits.
 *
 * @module
 */
import cac from "cac";
import { ChatSession } from "../../shared/client/session.ts";
import { WsSession } from "../../test/web/ws-client.ts";

const cli = cac("web-load");
cli.option("--kind <kind>", "ws or zmq").option("--url <url>", "gateway WebSocket URL").option("--broker <e>", "broker frontend").option("--proxy <e>", "proxy XPUB");
cli.option("--sessions <n>", "sessions", { default: 1000 }).option("--rate <n>", "messages per second", { default: 10 }).option("--seconds <n>", "seconds", { default: 10 });
const o = cli.parse().options as { kind: string; url: string; broker: string; proxy: string; sessions: number; rate: number; seconds: number };
const CHANNEL = "bench";
const BATCH = 50;

interface Side {
  /** Logs in and joins; `onText` hears each channel text that arrives. */
  join(user: string, onText: (text: string) => void): Promise<void>;
  publish(user: string, text: string, id: string): Promise<void>;
}

const wsSessions = new Map<string, WsSession>();
const zmqSessions = new Map<string, ChatSession>();
const endpoints = { brokerFrontend: o.broker, proxyXpub: o.proxy };

const side: Side =
  o.kind === "ws"
    ? {
        async join(user, onText) {
          const s = new WsSession(o.url);
          wsSessions.set(user, s);
          s.onMessage = (m) => m.kind === "channel" && onText(m.text);
          await s.request({ t: "login", user }, 30_000);
          await s.request({ t: "join", channel: CHANNEL }, 30_000);
        },
        async publish(user, text, id) {
          await wsSessions.get(user)!.request({ t: "publish", channel: CHANNEL, text, id }, 30_000);
        },
      }
    : {
        async join(user, onText) {
          const s = new ChatSession({ user, endpoints, timeoutMs: 10_000, retries: 2, onDelivery: (d) => d.kind === "channel" && onText(d.text) });
          zmqSessions.set(user, s);
          await s.login();
          await s.join(CHANNEL);
        },
        async publish(user, text, id) {
          await zmqSessions.get(user)!.publish(CHANNEL, text, id);
        },
      };

const lags: number[] = [];
const warm = new Set<string>();
let run = "";
const receiver = (user: string) => (text: string) => {
  const m = /^bench (\S+) (\d+) (\d+(?:\.\d+)?)$/.exec(text);
  if (!m) return;
  if (m[1] === "warm") warm.add(user);
  else if (m[1] === run) lags.push(performance.timeOrigin + performance.now() - Number(m[3]));
};

const rss0 = process.memoryUsage().rss;
const t0 = Date.now();
const users = Array.from({ length: o.sessions }, (_, i) => `w${i}`);
for (let i = 0; i < users.length; i += BATCH) await Promise.all(users.slice(i, i + BATCH).map((u) => side.join(u, receiver(u))));
await side.join("publisher", () => {});
const joinMs = Date.now() - t0;

// Subscriptions take effect a little after each join: post until every session has heard one.
let seq = 0;
const stamp = () => performance.timeOrigin + performance.now();
for (let tries = 0; warm.size < users.length && tries < 100; tries++) {
  await side.publish("publisher", `bench warm ${seq} ${stamp()}`, `warm-${seq++}`);
  await Bun.sleep(100);
}
if (global.gc) global.gc();
Bun.gc(true);
const rss1 = process.memoryUsage().rss;
console.log(`ready ${JSON.stringify({ sessions: users.length, warm: warm.size, joinMs, rssBeforeMb: rss0 / 2 ** 20, rssAfterMb: rss1 / 2 ** 20 })}`);
for await (const _ of console) break;

run = `r${Date.now()}`;
const total = Math.round(o.rate * o.seconds);
const gap = 1000 / o.rate;
const start = performance.now();
const sent: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + i * gap;
  const wait = due - performance.now();
  if (wait > 0) await Bun.sleep(wait);
  sent.push(side.publish("publisher", `bench ${run} ${i} ${stamp()}`, `${run}-${i}`));
}
await Promise.all(sent);
const expected = total * users.length;
const deadline = Date.now() + 10_000;
while (lags.length < expected && Date.now() < deadline) await Bun.sleep(50);
lags.sort((a, b) => a - b);
const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? NaN;
console.log(`result ${JSON.stringify({ expected, delivered: lags.length, p50: q(0.5), p99: q(0.99), max: lags.at(-1), rssEndMb: process.memoryUsage().rss / 2 ** 20 })}`);
process.exit(0);
