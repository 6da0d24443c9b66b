#!/usr/bin/env node
// A foreign client written the way Node teams write theirs: the `zeromq`
// npm package (v6, libzmq) and @msgpack/msgpack, run with node. A Request
// socket to the broker and a Subscriber to the proxy, one MessagePack map
// {service, data} per request, `timestamp: Date.now()` (which
// @msgpack/msgpack writes as a uint64) and a Lamport counter updated from
// each reply with Math.max. Replies decode with the library's defaults
// (64-bit integers become numbers). Deliveries are matched on the exact topic.
//
// It makes no judgement of its own: it prints one JSON object per line, the
// same shapes as py_conformance_client.py (`types` here says only whether
// the decoded number is an integer: "int", "float", or the JS type).
//
// usage: node node_conformance_client.mjs services FRONTEND XPUB USER PEER CHANNEL
//        node node_conformance_client.mjs bad      FRONTEND XPUB USER CHANNEL
import { randomUUID } from "node:crypto";
import { decode, encode, Encoder } from "@msgpack/msgpack";
import * as zmq from "zeromq";

const TIMEOUT_MS = 10000;

function clean(v) {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return "bytes:" + Buffer.from(v).toString("hex");
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]));
  return v;
}
const out = (event, fields = {}) => process.stdout.write(JSON.stringify(clean({ event, ...fields })) + "\n");

function typeOf(d, key) {
  if (!d || typeof d !== "object" || !(key in d)) return "missing";
  const v = d[key];
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  return v === null ? "null" : typeof v;
}
const types = (d) => ({ timestamp: typeOf(d, "timestamp"), clock: typeOf(d, "clock") });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Client {
  constructor(frontend, xpub) {
    this.frontend = frontend;
    this.clock = 0;
    this.req = this.newReq();
    this.sub = new zmq.Subscriber({ linger: 0 });
    this.sub.connect(xpub);
    this.topics = new Set();
    this.deliveries = [];
    this.ignored = new Set();
    this.reading = this.readLoop();
  }

  newReq() {
    const s = new zmq.Request({ receiveTimeout: TIMEOUT_MS, linger: 0 });
    s.connect(this.frontend);
    return s;
  }

  close() {
    this.req.close();
    this.sub.close();
  }

  /** Stamps and sends one request; fields given here win over the stamp. */
  request(step, service, data = {}, encoder) {
    this.clock += 1;
    const body = { timestamp: Date.now(), clock: this.clock, ...data };
    const frame = encoder ? encoder.encode({ service, data: body }) : encode({ service, data: body });
    return this.sendRaw(step, frame, service, body);
  }

  async sendRaw(step, frame, service, sent) {
    await this.req.send(frame);
    let raw;
    try {
      [raw] = await this.req.receive();
    } catch (e) {
      out("timeout", { step, service, text: String(e?.message ?? e) });
      this.req.close();
      this.req = this.newReq();
      return {};
    }
    const reply = decode(raw);
    const data = reply && typeof reply === "object" ? reply.data : undefined;
    if (data && typeof data.clock === "number" && Number.isFinite(data.clock)) this.clock = Math.max(this.clock, data.clock);
    out("reply", { step, request_service: service, service: reply?.service, sent, sent_clock: sent?.clock, data, types: types(data) });
    return data && typeof data === "object" ? data : {};
  }

  subscribe(topic) {
    this.topics.add(topic);
    this.sub.subscribe(topic);
  }

  async readLoop() {
    try {
      for await (const frames of this.sub) {
        if (frames.length !== 2) continue;
        const topic = frames[0].toString("utf8");
        if (!this.topics.has(topic)) {
          this.ignored.add(topic);
          out("ignored", { topic });
          continue;
        }
        let payload;
        try {
          payload = decode(frames[1]);
        } catch {
          continue;
        }
        if (!payload || typeof payload !== "object") continue;
        const data = payload.data;
        if (data && Number.isInteger(data.clock)) this.clock = Math.max(this.clock, data.clock);
        this.deliveries.push({ topic, payload });
        out("delivery", { topic, service: payload.service, data, types: types(data), keys: Object.keys(payload).sort() });
      }
    } catch {
      // socket closed
    }
  }

  async waitFor(pred, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.deliveries.find((x) => pred(x.topic, x.payload));
      if (d) return d;
      if (Date.now() >= deadline) return null;
      await sleep(20);
    }
  }
}

const textOf = (p) => (p?.data && typeof p.data === "object" ? p.data.message : undefined);
const messages = (reply) => (Array.isArray(reply?.messages) ? reply.messages : []);

async function services(c, user, peer, channel) {
  const prefixed = user + "bel"; // a Subscriber for `user` receives this one's messages too
  await c.request("login", "login", { user });
  await c.request("login-peer", "login", { user: peer });
  await c.request("login-prefixed", "login", { user: prefixed });
  await c.request("users", "users");
  await c.request("channel", "channel", { channel });
  await c.request("channel-again", "channel", { channel });
  await c.request("channels", "channels");

  c.subscribe(channel);
  c.subscribe(user);
  // Subscriptions reach the proxy asynchronously: message ourselves until one comes back.
  let subscribed = false;
  for (let i = 0; i < 20 && !subscribed; i++) {
    const text = `sync ${i}`;
    await c.request("sync", "message", { src: user, dst: user, message: text });
    subscribed = (await c.waitFor((t, p) => t === user && textOf(p) === text, 500)) !== null;
  }
  out(subscribed ? "subscribed" : "error", subscribed ? {} : { text: "subscription never took effect" });

  const posts = [1, 2, 3].map((i) => `${user} says hello #${i}`);
  for (const [i, message] of posts.entries()) await c.request(`publish-${i + 1}`, "publish", { user, channel, message });
  const ownId = `${user}-${randomUUID().slice(0, 12)}`;
  const last = `${user} posts with an id`;
  await c.request("publish-id", "publish", { user, channel, message: last, id: ownId });
  await c.request("publish-retry", "publish", { user, channel, message: last, id: ownId });
  posts.push(last);

  const toPeer = `psst ${peer}, from ${user}`;
  const toUser = `hi back ${user}, from ${peer}`;
  await c.request("message-1", "message", { src: user, dst: peer, message: toPeer });
  await c.request("message-2", "message", { src: peer, dst: user, message: toUser, id: `${peer}-pm-${randomUUID().slice(0, 8)}` });
  await c.request("message-prefixed", "message", { src: peer, dst: prefixed, message: `not for ${user}` });

  for (const text of posts) await c.waitFor((t, p) => t === channel && textOf(p) === text, TIMEOUT_MS);
  await c.waitFor((t, p) => t === user && textOf(p) === toUser, TIMEOUT_MS);
  for (const deadline = Date.now() + TIMEOUT_MS; !c.ignored.has(prefixed) && Date.now() < deadline; ) await sleep(20);
  await sleep(500); // a duplicate delivery would show up here

  const msgs = messages(await c.request("history-channel", "history", { channel }));
  await c.request("history-limit", "history", { channel, limit: 2 });
  const third = msgs.length >= 4 ? msgs[2] : {};
  await c.request("history-before-id", "history", { channel, limit: 2, before: third.id ?? "unknown" });
  await c.request("history-before-clock", "history", { channel, before: third.clock ?? 0 });
  const pms = messages(await c.request("history-private", "history", { user, peer }));
  await c.request("history-private-limit", "history", { user, peer, limit: 1 });
  const second = pms.length >= 2 ? pms[1] : {};
  await c.request("history-private-before", "history", { user, peer, limit: 1, before: second.id ?? "unknown" });
}

async function bad(c, user, channel) {
  await c.request("login", "login", { user });
  await c.request("channel", "channel", { channel });
  const publish = (step, message, override = {}, encoder) =>
    c.request(step, "publish", { user, channel, message, ...override }, encoder);

  // A counter kept as a BigInt needs the encoder's BigInt support; a client
  // whose numbers are all doubles (forceIntegerToFloat) sends `5.0`.
  const bigints = new Encoder({ useBigInt64: true });
  const doubles = new Encoder({ forceIntegerToFloat: true });
  const cases = [
    ["clock-negative", { clock: -1 }],
    ["clock-string", { clock: "abc" }],
    ["clock-uint64-max", { clock: 2n ** 64n - 1n }, bigints],
    ["clock-nan", { clock: NaN }],
    ["clock-inf", { clock: Infinity }],
    ["timestamp-iso", { timestamp: new Date().toISOString() }],
    ["timestamp-seconds", { timestamp: Date.now() / 1000 }],
    ["clock-float", { clock: 5 }, doubles],
  ];
  for (const [name, override, encoder] of cases) {
    await publish(name, `bad input ${name}`, override, encoder);
    await publish(`after-${name}`, `normal after ${name}`);
  }
  // A Date as is: @msgpack/msgpack writes the MessagePack timestamp extension.
  await publish("timestamp-date-ext", "bad input timestamp-date-ext", { timestamp: new Date() });
  await publish("after-timestamp-date-ext", "normal after timestamp-date-ext");

  // Garbage that is not a request at all: answered on the same socket.
  await c.sendRaw("garbage-reserved-byte", Buffer.from([0xc1]));
  await c.sendRaw("garbage-array", encode(["publish", { user }]));
  await c.request("garbage-no-data", "publish");
  await c.request("garbage-unknown-service", "frobnicate");
  await c.request("garbage-peer-service", "election");
  await publish("after-garbage", "normal after garbage");

  // Number.MAX_SAFE_INTEGER (a uint64 on the wire): a clock this high used
  // to leave the server's own counter unable to tick.
  await publish("clock-max-safe", "bad input clock-max-safe", { clock: Number.MAX_SAFE_INTEGER });
  for (let i = 1; i <= 5; i++) await publish(`after-clock-max-safe-${i}`, `normal after clock-max-safe ${i}`);
  await c.request("history-bad", "history", { channel });
}

async function main() {
  const [mode, frontend, xpub, ...rest] = process.argv.slice(2);
  const c = new Client(frontend, xpub);
  try {
    if (mode === "services") await services(c, ...rest);
    else if (mode === "bad") await bad(c, ...rest);
    else {
      out("error", { text: `unknown mode ${mode}` });
      return 2;
    }
    out("done", { clock: c.clock });
    return 0;
  } finally {
    c.close();
    await c.reading;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    out("error", { text: String(e?.stack ?? e) });
    process.exit(1);
  },
);
