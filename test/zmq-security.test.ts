/**
 * CURVE and PLAIN between our own sockets: option checking, the
 * authenticator hook (sync, async, throwing, denying), what each side
 * learns about its peer (receiveWithPeer, Router.peer, XPUB subscription
 * messages, events), refusals (wrong server key, mechanism mismatch,
 * denial), maxMessageSize under CURVE, and a forged HELLO from a raw client.
 * @module
 */
import { afterEach, describe, expect, it } from "bun:test";
import {
  commandFrame,
  curveKeyPair,
  Dealer,
  encodeGreeting,
  Reply,
  Request,
  Router,
  Subscriber,
  XPublisher,
  ZmtpError,
  type Authenticator,
  type SocketEventMap,
  type SocketOptions,
  type ZSocket,
} from "../shared/zmq/index.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});
function track<T extends ZSocket>(s: T): T {
  cleanup.push(() => s.close());
  return s;
}

const server = curveKeyPair();
const alice = curveKeyPair();
const bob = curveKeyPair();
const curveServer = (authenticate?: Authenticator): SocketOptions => ({ curveServer: true, curveSecretKey: server.secretKey, authenticate });
const curveClient = (kp = alice, serverKey = server.publicKey): SocketOptions => ({ curveServerKey: serverKey, curveSecretKey: kp.secretKey, curvePublicKey: kp.publicKey });

/** REP that answers every request with [the request..., the peer's user id]. */
async function echoUser(rep: Reply): Promise<void> {
  try {
    for (;;) {
      const { message, peer } = await rep.receiveWithPeer();
      await rep.send([...message, peer?.userId ?? "?"]);
    }
  } catch (e) {
    if (!(e instanceof ZmtpError && e.code === "ETERM")) throw e;
  }
}

async function boundRep(opts: SocketOptions): Promise<Reply> {
  const rep = track(new Reply(opts));
  await rep.bind("tcp://127.0.0.1:0");
  void echoUser(rep);
  return rep;
}

const next = <K extends keyof SocketEventMap>(s: ZSocket, name: K) => s.events.once(name);

describe("security options", () => {
  it.each([
    ["curveServer without a secret key", { curveServer: true }],
    ["a CURVE client without a secret key", { curveServerKey: server.publicKey }],
    ["CURVE and PLAIN together", { curveServerKey: server.publicKey, curveSecretKey: alice.secretKey, plainUsername: "a" }],
    ["curveServer and curveServerKey together", { curveServer: true, curveSecretKey: server.secretKey, curveServerKey: server.publicKey }],
    ["a public key of another pair", { curveServerKey: server.publicKey, curveSecretKey: alice.secretKey, curvePublicKey: bob.publicKey }],
    ["a 39-character key", { curveServerKey: server.publicKey.slice(1), curveSecretKey: alice.secretKey }],
    ["plainServer without an authenticator", { plainServer: true }],
    ["plainServer with client credentials", { plainServer: true, plainUsername: "a", authenticate: () => true }],
    ["a user name over 255 bytes", { plainUsername: "x".repeat(256), plainPassword: "" }],
  ] as [string, SocketOptions][])("refuses %s (EINVAL)", (_what, opts) => {
    expect(() => new Request(opts)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("applies options set after construction at the next connect, as libzmq does", async () => {
    const rep = await boundRep(curveServer());
    const req = track(new Request({ receiveTimeout: 5000 }));
    Object.assign(req, curveClient());
    req.connect(rep.lastEndpoint!);
    await req.send("hi");
    expect((await req.receive()).map(String)).toEqual(["hi", alice.publicKey]);
    req.curveSecretKey = "bad";
    expect(() => req.connect("tcp://127.0.0.1:1")).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("accepts keys as 32-byte arrays", async () => {
    const { z85Decode } = await import("../shared/zmq/index.ts");
    const rep = await boundRep({ curveServer: true, curveSecretKey: z85Decode(server.secretKey) });
    const req = track(new Request({ curveServerKey: z85Decode(server.publicKey), curveSecretKey: z85Decode(alice.secretKey), receiveTimeout: 5000 }));
    req.connect(rep.lastEndpoint!);
    await req.send("bytes");
    expect((await req.receive()).map(String)).toEqual(["bytes", alice.publicKey]);
  });
});

describe("CURVE between our sockets", () => {
  it("REQ/REP: the hook sees the client key, the user id reaches the REP, 1 MiB and empty frames survive", async () => {
    const asked: string[] = [];
    const rep = await boundRep(curveServer((r) => (asked.push(r.clientPublicKey!), { allow: true, userId: "alice", metadata: { Role: "admin" } })));
    const shook = next(rep, "handshake");
    const req = track(new Request({ ...curveClient(), routingId: "alice-req", receiveTimeout: 5000 }));
    const clientShook = next(req, "handshake");
    req.connect(rep.lastEndpoint!);
    const big = Buffer.alloc(1 << 20, 0x5a);
    await req.send(["a", "", big]);
    const reply = await req.receive();
    expect(reply.map((b) => b.length)).toEqual([1, 0, 1 << 20, 5]);
    expect(reply[2]!.equals(big)).toBe(true);
    expect(reply[3]!.toString()).toBe("alice");
    expect(asked).toEqual([alice.publicKey]);
    const { peer } = await shook;
    expect(peer).toMatchObject({ mechanism: "CURVE", userId: "alice", publicKey: alice.publicKey, socketType: "REQ", address: "127.0.0.1" });
    expect(peer.identity!.toString()).toBe("alice-req");
    expect(peer.properties.get("role")).toBe("admin");
    expect(peer.properties.get("user-id")).toBe("alice");
    expect((await clientShook).peer).toMatchObject({ mechanism: "CURVE", publicKey: server.publicKey, socketType: "REP", userId: "" });
  });

  it("DEALER/ROUTER: Router.peer(routingId) names the authenticated user; an async hook works", async () => {
    const router = track(new Router(curveServer(async (r) => ({ allow: true, userId: r.clientPublicKey === alice.publicKey ? "alice" : "bob" }))));
    await router.bind("tcp://127.0.0.1:0");
    const users = new Map<string, string>();
    for (const [kp, id] of [[alice, "A"], [bob, "B"]] as const) {
      const d = track(new Dealer({ ...curveClient(kp), routingId: id, receiveTimeout: 5000 }));
      d.connect(router.lastEndpoint!);
      await d.send(["hello", id]);
    }
    while (users.size < 2) {
      const [rid, , who] = await router.receive();
      users.set(who!.toString(), router.peer(rid!)!.userId);
    }
    expect(Object.fromEntries(users)).toEqual({ A: "alice", B: "bob" });
    expect(router.connectedPeers().map((p) => p.userId).sort()).toEqual(["alice", "bob"]);
  });

  it("XPUB: subscriptions arrive with the subscriber's user id, unsubscribes of a departed one too", async () => {
    const xpub = track(new XPublisher({ ...curveServer((r) => ({ allow: true, userId: r.clientPublicKey === alice.publicKey ? "alice" : "bob" })), verbose: true }));
    await xpub.bind("tcp://127.0.0.1:0");
    const subA = track(new Subscriber({ ...curveClient(alice), receiveTimeout: 5000 }));
    subA.subscribe("news.");
    subA.connect(xpub.lastEndpoint!);
    const first = await xpub.receiveWithPeer();
    expect(first.message[0]!.toString("latin1")).toBe("\x01news.");
    expect(first.peer!.userId).toBe("alice");
    const subB = track(new Subscriber(curveClient(bob)));
    subB.subscribe("sports.");
    subB.connect(xpub.lastEndpoint!);
    const second = await xpub.receiveWithPeer();
    expect([second.message[0]!.toString("latin1"), second.peer!.userId]).toEqual(["\x01sports.", "bob"]);
    await xpub.send(["news.today", "encrypted"]);
    expect((await subA.receive()).map(String)).toEqual(["news.today", "encrypted"]);
    subB.close();
    const gone = await xpub.receiveWithPeer();
    expect([gone.message[0]!.toString("latin1"), gone.peer!.userId]).toEqual(["\x00sports.", "bob"]);
  });

  it("a client the hook denies gets EACCES (status 400); the server reports why", async () => {
    const rep = await boundRep(curveServer((r) => (r.clientPublicKey === alice.publicKey ? true : { allow: false, statusCode: 400, statusText: "unknown key" })));
    const serverSide = next(rep, "handshake:error");
    const req = track(new Request(curveClient(bob)));
    const clientSide = next(req, "handshake:error");
    req.connect(rep.lastEndpoint!);
    const c = (await clientSide).error;
    expect([c.code, c.message]).toEqual(["EACCES", "zmtp: CURVE server refused authentication (status 400)"]);
    const s = (await serverSide).error;
    expect(s.code).toBe("EACCES");
    expect(s.message).toContain("unknown key");
  });

  it("a throwing or rejecting hook denies with status 500", async () => {
    for (const hook of [() => { throw new Error("db down"); }, () => Promise.reject(new Error("db down"))] as Authenticator[]) {
      const rep = await boundRep(curveServer(hook));
      const req = track(new Request(curveClient()));
      const clientSide = next(req, "handshake:error");
      req.connect(rep.lastEndpoint!);
      expect((await clientSide).error.message).toContain("status 500");
    }
  });

  it("a wrong server key fails on both sides; the server keeps serving good clients", async () => {
    const rep = await boundRep(curveServer());
    const serverSide = next(rep, "handshake:error");
    const wrong = track(new Request(curveClient(alice, bob.publicKey)));
    const clientSide = next(wrong, "handshake:error");
    wrong.connect(rep.lastEndpoint!);
    expect((await serverSide).error.message).toMatch(/HELLO box does not open/);
    expect((await clientSide).error.message).toMatch(/wrong curveServerKey/);
    const good = track(new Request({ ...curveClient(), receiveTimeout: 5000 }));
    good.connect(rep.lastEndpoint!);
    await good.send("still here");
    expect((await good.receive())[0]!.toString()).toBe("still here");
  });

  it("NULL against CURVE is a mechanism mismatch on both sides (ECOMPAT)", async () => {
    const rep = await boundRep(curveServer());
    const serverSide = next(rep, "handshake:error");
    const req = track(new Request());
    const clientSide = next(req, "handshake:error");
    req.connect(rep.lastEndpoint!);
    for (const ev of [await serverSide, await clientSide]) {
      expect(ev.error.code).toBe("ECOMPAT");
      expect(ev.error.message).toMatch(/mechanism mismatch/);
    }
  });

  it("maxMessageSize bounds the plaintext: exactly the limit passes, one byte more drops the peer", async () => {
    const rep = await boundRep({ ...curveServer(), maxMessageSize: 1000 });
    const req = track(new Request({ ...curveClient(), receiveTimeout: 5000 }));
    req.connect(rep.lastEndpoint!);
    await req.send(Buffer.alloc(1000));
    expect((await req.receive())[0]!.length).toBe(1000);
    const dropped = next(rep, "disconnect");
    await req.send([Buffer.alloc(600), Buffer.alloc(401)]);
    expect((await dropped).error!.code).toBe("EMSGSIZE");
  });

  it("a raw client's forged HELLO is refused without disturbing the socket", async () => {
    const rep = await boundRep(curveServer());
    const refused = next(rep, "handshake:error");
    const port = Number(rep.lastEndpoint!.split(":").at(-1));
    const hello = commandFrame("HELLO", Buffer.concat([Buffer.from([1, 0]), crypto.getRandomValues(new Uint8Array(192))]));
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { open: (s) => void s.write(Buffer.concat([encodeGreeting("CURVE"), hello])), data() {}, close: () => closed(), end: () => closed() },
    });
    await done;
    expect((await refused).error.code).toBe("EPROTO");
    const req = track(new Request({ ...curveClient(), receiveTimeout: 5000 }));
    req.connect(rep.lastEndpoint!);
    await req.send("ok?");
    expect((await req.receive())[0]!.toString()).toBe("ok?");
  });
});

describe("PLAIN between our sockets", () => {
  const users: Record<string, string> = { alice: "wonder", bob: "builder" };
  const plainServer = (): SocketOptions => ({
    plainServer: true,
    zapDomain: "chat",
    authenticate: (r) => (users[r.username!] === r.password && r.domain === "chat" ? { allow: true } : { allow: false, statusCode: 400 }),
  });

  it("allows a right password; the user id defaults to the user name", async () => {
    const rep = await boundRep(plainServer());
    const shook = next(rep, "handshake");
    const req = track(new Request({ plainUsername: "alice", plainPassword: "wonder", receiveTimeout: 5000 }));
    req.connect(rep.lastEndpoint!);
    await req.send("hi");
    expect((await req.receive()).map(String)).toEqual(["hi", "alice"]);
    expect((await shook).peer).toMatchObject({ mechanism: "PLAIN", username: "alice", userId: "alice" });
  });

  it("refuses a wrong password with EACCES on both sides", async () => {
    const rep = await boundRep(plainServer());
    const serverSide = next(rep, "handshake:error");
    const req = track(new Request({ plainUsername: "alice", plainPassword: "guess" }));
    const clientSide = next(req, "handshake:error");
    req.connect(rep.lastEndpoint!);
    expect((await clientSide).error.message).toBe("zmtp: PLAIN server refused authentication (status 400)");
    expect((await serverSide).error.code).toBe("EACCES");
  });

  it("PLAIN against CURVE is a mechanism mismatch", async () => {
    const rep = await boundRep(curveServer());
    const req = track(new Request({ plainUsername: "a", plainPassword: "b" }));
    const clientSide = next(req, "handshake:error");
    req.connect(rep.lastEndpoint!);
    expect((await clientSide).error.message).toMatch(/peer uses "CURVE", this socket "PLAIN"/);
  });
});

describe("bounds before authentication", () => {
  it("a CURVE server takes no frame over 64 KiB before the handshake completes", async () => {
    const rep = await boundRep(curveServer());
    const refused = next(rep, "handshake:error");
    const port = Number(rep.lastEndpoint!.split(":").at(-1));
    const header = Buffer.alloc(9);
    header[0] = 0x06; // LONG | COMMAND
    header.writeBigUInt64BE(BigInt(64 * 1024 + 1), 1);
    const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    sock.write(Buffer.concat([encodeGreeting("CURVE"), header]));
    expect((await refused).error.code).toBe("EMSGSIZE");
    sock.end();
  });
});
