// Command-driven libzmq peer (the `zeromq` npm package, v6, under node) for
// the interop matrix. Same JSON-line protocol as py_serve.py; see
// test/peers/command-peer.ts. Receives on one socket run one at a time.
"use strict";
const zmq = require("zeromq");
const crypto = require("node:crypto");
const readline = require("node:readline");

const TYPES = {
  REQ: zmq.Request,
  REP: zmq.Reply,
  DEALER: zmq.Dealer,
  ROUTER: zmq.Router,
  PUB: zmq.Publisher,
  SUB: zmq.Subscriber,
  XPUB: zmq.XPublisher,
  XSUB: zmq.XSubscriber,
  PUSH: zmq.Push,
  PULL: zmq.Pull,
};

function gen(length, seed) {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}
const toBytes = (f) => (typeof f === "string" ? Buffer.from(f) : gen(f.gen, f.seed ?? 0));
const summary = (b) =>
  b.length <= 64
    ? "hex:" + b.toString("hex")
    : `sha:${b.length}:${crypto.createHash("sha256").update(b).digest("hex").slice(0, 16)}`;

const socks = new Map(); // name -> { s, chain }
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

async function echoLoop(s, tag) {
  try {
    for await (const msg of s) await s.send(tag === undefined ? msg : [...msg, Buffer.from(tag)]);
  } catch {
    // socket closed
  }
}

async function handle(cmd) {
  const { op, name } = cmd;
  if (op === "socket") {
    const o = cmd.opts ?? {};
    const opts = { linger: 0 };
    if (o.routingId !== undefined) opts.routingId = o.routingId;
    if (o.maxMessageSize !== undefined) opts.maxMessageSize = o.maxMessageSize;
    if (o.reconnectInterval !== undefined) opts.reconnectInterval = o.reconnectInterval;
    socks.set(name, { s: new TYPES[cmd.type](opts), chain: Promise.resolve() });
    return {};
  }
  if (op === "exit") setImmediate(() => process.exit(0));
  if (op === "exit") return {};
  const sk = socks.get(name);
  if (!sk) throw new Error(`no socket ${name}`);
  const s = sk.s;
  switch (op) {
    case "bind":
      await s.bind(cmd.endpoint);
      return { endpoint: s.lastEndpoint };
    case "connect":
      s.connect(cmd.endpoint);
      return {};
    case "subscribe":
      s.subscribe(cmd.topic);
      return {};
    case "send":
      await s.send(cmd.frames.map(toBytes));
      return {};
    case "recv": {
      // one receive at a time per socket
      const p = sk.chain.then(async () => {
        s.receiveTimeout = cmd.timeout ?? 5000;
        const msg = await s.receive();
        return { frames: msg.map(summary) };
      });
      sk.chain = p.catch(() => {});
      return await p;
    }
    case "echo":
      void echoLoop(s, cmd.tag);
      return {};
    case "close":
      s.close();
      socks.delete(name);
      return {};
    default:
      throw new Error(`unknown op ${op}`);
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  handle(cmd).then(
    (r) => out({ id: cmd.id, ok: true, ...r }),
    (e) => out({ id: cmd.id, ok: false, error: e && e.code === "EAGAIN" ? "EAGAIN" : String(e && e.message) }),
  );
});
rl.on("close", () => process.exit(0));
