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

const socks = new Map(); // name -> { s, chain, events }
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const PASSED_OPTS = ["heartbeatInterval", "heartbeatTimeout", "curveServer", "curveSecretKey", "curvePublicKey", "curveServerKey", "plainServer", "plainUsername", "plainPassword", "zapDomain"];

// A ZAP handler (RFC 27) on inproc://zeromq.zap.01 in the default context, with a configurable policy.
const zap = { sock: null, policy: {}, log: [] };
async function zapLoop(s) {
  for await (const [version, rid, domain, , , mechanism, ...creds] of s) {
    const p = zap.policy;
    const mech = mechanism.toString();
    let user = "";
    let ok = true;
    if (mech === "CURVE") {
      user = z85(creds[0]);
      ok = p.allowKeys === undefined || p.allowKeys.includes(user);
    } else if (mech === "PLAIN") {
      user = creds[0].toString();
      ok = (p.users ?? {})[user] === creds[1].toString();
    }
    zap.log.push({ event: "zap", mechanism: mech, user, allowed: ok, domain: domain.toString() });
    await s.send([version, rid, ok ? "200" : "400", ok ? "OK" : "denied", ok ? (p.userId ?? user) : "", ""]);
  }
}
const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
function z85(b) {
  let s = "";
  for (let i = 0; i < b.length; i += 4) {
    let v = b.readUInt32BE(i);
    let g = "";
    for (let k = 0; k < 5; k++) {
      g = Z85[v % 85] + g;
      v = Math.floor(v / 85);
    }
    s += g;
  }
  return s;
}

async function watch(s, events) {
  const kinds = { handshake: "handshake", "handshake:error:auth": "auth-failed", "handshake:error:protocol": "protocol-error", "handshake:error:other": "handshake-failed", disconnect: "disconnect" };
  try {
    for await (const ev of s.events) {
      const name = kinds[ev.type];
      if (name === "auth-failed") events.push({ event: name, status: ev.error.status });
      else if (name) events.push({ event: name });
    }
  } catch {
    // socket closed
  }
}

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
    for (const k of PASSED_OPTS) if (o[k] !== undefined) opts[k] = o[k];
    const entry = { s: new TYPES[cmd.type](opts), chain: Promise.resolve(), events: [] };
    if (o.monitor) void watch(entry.s, entry.events);
    socks.set(name, entry);
    return {};
  }
  if (op === "zap") {
    if (zap.sock === null) {
      zap.sock = new zmq.Reply({ linger: 0 });
      await zap.sock.bind("inproc://zeromq.zap.01");
      void zapLoop(zap.sock);
    }
    zap.policy = cmd.policy ?? {};
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
    case "events": {
      await new Promise((r) => setTimeout(r, 20)); // let queued monitor events arrive
      const events = [...zap.log, ...sk.events.splice(0)];
      zap.log = [];
      return { events };
    }
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
