/**
 * The client reading other teams' servers: flat deliveries and display
 * lines, flat replies, status words in every spelling, error texts under any
 * field or none, a server without `history`, and our own posts coming back
 * without our id. Pure parsing first, then a session against a stand-in
 * server on real sockets.
 */
import { afterEach, describe, expect, it } from "bun:test";
import { decode, encode } from "../shared/wire/codec.ts";
import { historyEntry, isOwnPost, parseDelivery, type Delivery } from "../shared/client/delivery.ts";
import { formatDelivery } from "../shared/client/render.ts";
import { readReply, refusalText } from "../shared/client/replies.ts";
import { ChatSession, ClientError } from "../shared/client/session.ts";
import { Publisher, Router } from "../shared/zmq/index.ts";
import { eventually } from "./helpers/eventually.ts";

const ISO = "2001-02-03T04:05:06.000Z";
const ISO_MS = Date.parse(ISO);

describe("parseDelivery: flat payloads", () => {
  it("reads {user, message} as a post in the topic's channel, or a pm when the topic is our name", () => {
    const flat = { user: "bob", message: "hi", timestamp: ISO, clock: 5.0 };
    expect(parseDelivery("general", flat, "ana")).toEqual({ kind: "channel", channel: "general", user: "bob", text: "hi", timestamp: ISO_MS, clock: 5 });
    expect(parseDelivery("ana", flat, "ana")).toEqual({ kind: "private", src: "bob", dst: "ana", text: "hi", timestamp: ISO_MS, clock: 5 });
  });

  it("reads a bare {message} as a display line on the topic it came on", () => {
    const line = { message: "[general] bob: hi", timestamp: 1_700_000_000 };
    expect(parseDelivery("general", line, "ana")).toEqual({ kind: "line", topic: "general", private: false, text: "[general] bob: hi", timestamp: 1_700_000_000_000, clock: 0 });
    expect(parseDelivery("ana", { message: "[pm] bob: psst", timestamp: 1_700_000_000_000 }, "ana")).toMatchObject({ kind: "line", topic: "ana", private: true });
  });

  it("holds a flat map that names its channel or destination to the exact topic", () => {
    expect(parseDelivery("x", { user: "bob", channel: "x", message: "hi" }, "ana")).toMatchObject({ kind: "channel", channel: "x" });
    expect(parseDelivery("x", { user: "bob", channel: "xy", message: "hi" }, "ana")).toBeNull();
    expect(parseDelivery("ana", { src: "bob", dst: "anabela", message: "hi" }, "ana")).toBeNull();
  });

  it("lets a valid envelope decide alone: top-level extras are never shown", () => {
    const data = { user: "bob", channel: "x", message: "hi", timestamp: 1_700_000_000_000, clock: 3, id: "m1" };
    const extras = { message: "[x] bob: hi", timestamp: ISO };
    expect(parseDelivery("x", { service: "publish", data, ...extras }, "ana")).toEqual({ kind: "channel", channel: "x", user: "bob", text: "hi", timestamp: 1_700_000_000_000, clock: 3, id: "m1" });
    // On the wrong topic the envelope is dropped, extras and all.
    expect(parseDelivery("xy", { service: "publish", data, ...extras }, "ana")).toBeNull();
    expect(parseDelivery("x", { service: "message", data, ...extras }, "ana")).toBeNull();
    // An envelope with no message in it falls back to what is beside it.
    expect(parseDelivery("x", { service: "publish", data: { channel: "x" }, ...extras }, "ana")).toMatchObject({ kind: "line", text: "[x] bob: hi", timestamp: ISO_MS });
  });

  it("drops maps with no text, and reads bad stamps as now and clock 0", () => {
    for (const p of [{ message: "" }, { message: 5 }, { user: "bob" }, { service: "publish" }, "hi", null]) {
      expect(parseDelivery("x", p, "ana")).toBeNull();
    }
    const before = Date.now();
    const d = parseDelivery("x", { user: "bob", message: "hi", timestamp: "yesterday", clock: 2 ** 60 }, "ana")!;
    expect(d.timestamp).toBeGreaterThanOrEqual(before);
    expect(d.clock).toBe(0);
  });
});

describe("historyEntry", () => {
  it("reads loose entries of a channel's history as posts in it, or lines", () => {
    expect(historyEntry({ user: "bob", message: "hi", timestamp: ISO }, { channel: "general" })).toMatchObject({ kind: "channel", channel: "general", user: "bob", timestamp: ISO_MS });
    expect(historyEntry({ message: "[general] bob: hi" }, { channel: "general" })).toMatchObject({ kind: "line", topic: "general", private: false });
  });
  it("reads loose entries of a conversation by who wrote them", () => {
    const place = { me: "ana", peer: "bob" };
    expect(historyEntry({ user: "ana", message: "yo" }, place)).toMatchObject({ kind: "private", src: "ana", dst: "bob" });
    expect(historyEntry({ user: "bob", message: "yo" }, place)).toMatchObject({ kind: "private", src: "bob", dst: "ana" });
    expect(historyEntry({ src: "bob", dst: "ana", message: "yo", id: "q" }, place)).toMatchObject({ kind: "private", src: "bob", id: "q" });
    expect(historyEntry([1], place)).toBeNull();
  });
});

describe("isOwnPost", () => {
  const at = { timestamp: 0, clock: 0 };
  it("recognises our post as a post or as a display line ending in our name and text", () => {
    expect(isOwnPost({ kind: "channel", channel: "g", user: "ana", text: "hi", ...at }, "ana", "g", "hi")).toBe(true);
    expect(isOwnPost({ kind: "line", topic: "g", private: false, text: "[g] ana: hi", ...at }, "ana", "g", "hi")).toBe(true);
    expect(isOwnPost({ kind: "line", topic: "g", private: false, text: "ana: hi", ...at }, "ana", "g", "hi")).toBe(true);
  });
  it("does not take someone else's or another channel's", () => {
    expect(isOwnPost({ kind: "channel", channel: "g", user: "bob", text: "hi", ...at }, "ana", "g", "hi")).toBe(false);
    expect(isOwnPost({ kind: "channel", channel: "h", user: "ana", text: "hi", ...at }, "ana", "g", "hi")).toBe(false);
    expect(isOwnPost({ kind: "line", topic: "g", private: false, text: "[g] xana: hi", ...at }, "ana", "g", "hi")).toBe(false);
    expect(isOwnPost({ kind: "line", topic: "ana", private: true, text: "ana: hi", ...at }, "ana", "g", "hi")).toBe(false);
  });
});

describe("readReply", () => {
  it.each(["OK", "ok", "sucesso"])("reads status %p as success", (status) => {
    expect(readReply("login", { service: "login", data: { status } })).toEqual({ ok: true, data: { status } });
  });
  it.each(["erro", "error", "ERROR"])("reads status %p as an error", (status) => {
    expect(readReply("login", { service: "login", data: { status, description: "no" } })).toEqual({ ok: false, text: "no", unsupported: false });
  });

  it("reads a flat reply's fields at the top level, and data when there is data", () => {
    expect(readReply("users", { service: "users", users: ["a"], clock: 4 })).toEqual({ ok: true, data: { users: ["a"], clock: 4 } });
    expect(readReply("publish", { service: "publish", status: "ERROR", message: "too long" })).toEqual({ ok: false, text: "too long", unsupported: false });
    // Top-level extras beside data (a display line for another dialect) are not an error text.
    expect(readReply("publish", { service: "publish", data: { status: "OK" }, status: "erro", message: "x" })).toEqual({ ok: true, data: { status: "OK" } });
  });

  it("finds the error text under description, message or error, or says there is none", () => {
    for (const field of ["description", "message", "error"]) {
      const r = readReply("channel", { service: "channel", data: { status: "error", [field]: "taken" } });
      expect(r.ok || refusalText("channel", r)).toBe("channel: taken");
    }
    const none = readReply("message", { service: "message", data: { status: "erro" } });
    expect(none.ok || refusalText("message", none)).toBe("message: the server refused without giving a reason");
    // An `error` text with no status is a refusal too.
    expect(readReply("users", { service: "users", error: "not logged in" })).toMatchObject({ ok: false, text: "not logged in" });
  });

  it("tells a server that does not offer the service from one that refuses this request", () => {
    const text = (r: ReturnType<typeof readReply>) => (r.ok ? "ok" : refusalText("history", r));
    const h = (reply: unknown) => text(readReply("history", reply));
    expect(h({ service: "history", data: { status: "error", message: "unknown service history" } })).toBe("this server does not offer history: unknown service history");
    expect(h({ service: "history", data: { status: "erro", description: "unknown service 'history'" } })).toBe("this server does not offer history: unknown service 'history'");
    expect(h({ service: "error", data: { status: "ERROR", description: "Invalid command" } })).toBe("this server does not offer history: Invalid command");
    expect(h({ service: "error", data: {} })).toBe("this server does not offer history");
    expect(h({ service: "history", status: "erro", message: "serviço desconhecido" })).toBe("this server does not offer history: serviço desconhecido");
    expect(h({ service: "history", data: { status: "ERROR", error: "history not implemented" } })).toBe("this server does not offer history: history not implemented");
    // Our own server's refusals of one history request.
    expect(h({ service: "history", data: { status: "erro", description: "unknown message id 'zz'" } })).toBe("history: unknown message id 'zz'");
    expect(h({ service: "history", data: { status: "erro", description: "channel 'x' does not exist" } })).toBe("history: channel 'x' does not exist");
  });
});

describe("render: display lines", () => {
  it("shows a line as is, after the time and where it came", () => {
    const line = parseDelivery("general", { message: "[general] bob: hi\u001b[2J", timestamp: ISO }, "ana")!;
    expect(formatDelivery(line)).toMatch(/^\d\d:\d\d:\d\d \[#general\] \[general\] bob: hi\\x1b\[2J$/);
    const pm = parseDelivery("ana", { message: "[pm] bob: psst", timestamp: ISO }, "ana")!;
    expect(formatDelivery(pm)).toMatch(/^\d\d:\d\d:\d\d \[pm\] \[pm\] bob: psst$/);
  });
});

type Req = { service: string; data: Record<string, unknown> };
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/**
 * A stand-in foreign server: a ROUTER for requests (`answer` gives the whole
 * reply map) and a PUB that publishes each post flat, with no id, before or
 * after the reply as `deliverFirst` says.
 */
async function foreignServer(answer: (req: Req) => Record<string, unknown>, deliverFirst: (req: Req) => boolean) {
  const router = new Router({ linger: 0 });
  await router.bind("tcp://127.0.0.1:0");
  const pub = new Publisher({ linger: 0 });
  await pub.bind("tcp://127.0.0.1:0");
  cleanup.push(() => router.close(), () => pub.close());
  const deliver = (req: Req) =>
    pub.send([String(req.data.channel), encode({ user: req.data.user, message: req.data.message, timestamp: ISO })]);
  void (async () => {
    try {
      for await (const [id, empty, body] of router) {
        const req = decode(body!) as Req;
        const post = req.service === "publish";
        const first = post && deliverFirst(req);
        if (first) await deliver(req);
        await router.send([id!, empty!, encode(answer(req))]);
        if (post && !first) setTimeout(() => void deliver(req), 20);
      }
    } catch {
      // closed
    }
  })();
  return { frontend: router.lastEndpoint!, pub, xpub: pub.lastEndpoint! };
}

describe("ChatSession against a foreign server", () => {
  const flatAnswer = (req: Req): Record<string, unknown> => {
    switch (req.service) {
      case "login":
        return { service: "login", status: "ok", timestamp: ISO, clock: 300 };
      case "channels":
        return { service: "channels", status: "OK", channels: ["general"] };
      case "users":
        return { service: "users", status: "ok" }; // no list
      case "history":
        return { service: "error", data: { status: "ERROR", description: "unknown command" } };
      default:
        return { service: req.service, data: { status: "ok", timestamp: 981_173_106.0 } };
    }
  };

  it("reads flat replies, merges their clock, and says what it cannot read", async () => {
    const srv = await foreignServer(flatAnswer, () => true);
    const s = new ChatSession({ user: "ana", endpoints: { brokerFrontend: srv.frontend, proxyXpub: srv.xpub } });
    cleanup.push(() => s.close());
    await s.login();
    expect(s.clock.value).toBeGreaterThanOrEqual(300);
    expect(await s.channels()).toEqual(["general"]);
    const noList = await s.users().catch((e) => e);
    expect(noList).toBeInstanceOf(ClientError);
    expect((noList as ClientError).message).toBe("users: the reply holds no list of users");
    const noHistory = await s.history({ channel: "general" }).catch((e) => e);
    expect((noHistory as ClientError).code).toBe("unsupported");
    expect((noHistory as ClientError).message).toBe("this server does not offer history: unknown command");
  });

  it("shows each own post once when it comes back without our id, before or after the ack", async () => {
    let n = 0;
    const srv = await foreignServer(flatAnswer, () => n++ % 2 === 0);
    const got: Delivery[] = [];
    let wake = () => {};
    const s = new ChatSession({
      user: "ana",
      endpoints: { brokerFrontend: srv.frontend, proxyXpub: srv.xpub },
      onDelivery: (d) => {
        got.push(d);
        wake();
      },
    });
    cleanup.push(() => s.close());
    await s.login();
    s.listen("general");
    // Until the subscription has reached the publisher, probes are lost: repeat until one arrives.
    let i = 0;
    await eventually(
      async () => {
        if (got.length > 0) return;
        await srv.pub.send(["general", encode({ user: "bob", message: `probe ${i++}`, timestamp: ISO })]);
        throw new Error(`${i} probes sent, none delivered`);
      },
      { intervalMs: 50 },
    );
    got.length = 0;
    for (const text of ["one", "two", "three", "four"]) await s.publish("general", text);
    await Bun.sleep(100); // the late deliveries are out before the last line, on the same PUB socket
    await srv.pub.send(["general", encode({ message: "[general] bob: last", timestamp: ISO })]);
    while (!got.some((d) => d.text === "[general] bob: last")) await new Promise<void>((r) => (wake = r));
    expect(got.map((d) => (d.kind === "channel" ? `${d.user}: ${d.text}` : d.text))).toEqual([
      "ana: one",
      "ana: two",
      "ana: three",
      "ana: four",
      "[general] bob: last",
    ]);
    // Shown from the delivery or from the ack: the server's time either way (ISO, or seconds).
    expect(got.every((d) => d.timestamp === ISO_MS)).toBe(true);
  });
});
