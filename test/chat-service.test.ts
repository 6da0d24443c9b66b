import { beforeEach, describe, expect, it } from "bun:test";
import { ChatService } from "../shared/server/chat-service.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import type { Store } from "../shared/store/store.ts";
import { Scratch } from "./helpers/scratch.ts";

const scratch = new Scratch("chat-svc-");
let svc: ChatService;
let clock: LamportClock;
let store: Store;
let t = 1_700_000_000_000;

beforeEach(() => {
  store = scratch.store("s1");
  clock = new LamportClock();
  svc = new ChatService(store, { serverName: "s1", clock, now: () => ++t });
});

const req = (service: string, data: Record<string, unknown> = {}) => ({ service, data: { timestamp: 1, clock: 0, ...data } });
const data = (r: { reply: { data: unknown } }) => r.reply.data as Record<string, any>;

function setup() {
  svc.handle(req("login", { user: "ana" }));
  svc.handle(req("login", { user: "bob" }));
  svc.handle(req("channel", { channel: "geral" }));
}

describe("ChatService", () => {
  it("login succeeds, also again, and every login is stored", () => {
    const a = svc.handle(req("login", { user: "ana" }));
    expect(a.reply.service).toBe("login");
    expect(data(a).status).toBe("sucesso");
    expect(a.records).toHaveLength(1);
    expect(a.records[0]).toMatchObject({ kind: "login", user: "ana", origin: "s1" });
    const b = svc.handle(req("login", { user: "ana" }));
    expect(data(b).status).toBe("sucesso");
    expect(data(svc.handle(req("users"))).users).toEqual(["ana"]);
    expect(store.vector()).toEqual({ s1: 2 });
  });

  it("login with a bad name is an erro with description", () => {
    for (const user of ["", "servers", " x", "u".repeat(65)]) {
      const r = svc.handle(req("login", { user }));
      expect(data(r).status).toBe("erro");
      expect(typeof data(r).description).toBe("string");
      expect(r.records).toEqual([]);
    }
  });

  it("channel creates once; existing, bad or reserved names are errors", () => {
    expect(data(svc.handle(req("channel", { channel: "geral" }))).status).toBe("sucesso");
    const again = data(svc.handle(req("channel", { channel: "geral" })));
    expect(again).toMatchObject({ status: "erro" });
    expect(again.description).toContain("already exists");
    expect(data(svc.handle(req("channel", { channel: "replication" }))).description).toContain("reserved");
    expect(data(svc.handle(req("channels"))).channels).toEqual(["geral"]);
  });

  it("publish stores, delivers on the channel topic and answers OK", () => {
    setup();
    const r = svc.handle(req("publish", { user: "ana", channel: "geral", message: "olá", clock: 50 }));
    expect(data(r)).toMatchObject({ status: "OK" });
    expect(r.deliveries).toHaveLength(1);
    const d = r.deliveries[0]!;
    expect(d.topic).toBe("geral");
    expect(d.payload).toEqual({
      service: "publish",
      data: { user: "ana", channel: "geral", message: "olá", timestamp: expect.any(Number), clock: 51, id: "s1:4" },
      // for the seed dialect's subscribers: a display line and the timestamp at the top level
      message: "[geral] ana: olá",
      timestamp: d.payload.data.timestamp,
    });
    expect(data(r).clock).toBe(52);
    expect(r.records).toHaveLength(1);
    expect(store.count()).toBe(1);
  });

  it("publish errors carry the text in `message`", () => {
    setup();
    const unknownChannel = data(svc.handle(req("publish", { user: "ana", channel: "nope", message: "x" })));
    expect(unknownChannel).toMatchObject({ status: "erro" });
    expect(unknownChannel.message).toContain("does not exist");
    const unknownUser = data(svc.handle(req("publish", { user: "zed", channel: "geral", message: "x" })));
    expect(unknownUser.message).toContain("unknown");
    const big = svc.handle(req("publish", { user: "ana", channel: "geral", message: "x".repeat(1 << 20) }));
    expect(data(big).status).toBe("erro");
    expect(data(big).message).toContain("longer than");
    expect(big.deliveries).toEqual([]);
    expect(store.count()).toBe(0);
  });

  it("a repeated client id is answered OK without storing or delivering again", () => {
    setup();
    const first = svc.handle(req("publish", { user: "ana", channel: "geral", message: "hi", id: "c-1" }));
    const again = svc.handle(req("publish", { user: "ana", channel: "geral", message: "hi", id: "c-1" }));
    expect(data(first)).toMatchObject({ status: "OK", id: "c-1" });
    expect(data(again)).toMatchObject({ status: "OK", id: "c-1" });
    expect(first.deliveries).toHaveLength(1);
    expect(again.deliveries).toEqual([]);
    expect(again.records).toEqual([]);
    expect(store.count()).toBe(1);
  });

  it("message delivers on the destination topic; unknown users are errors", () => {
    setup();
    const r = svc.handle(req("message", { src: "ana", dst: "bob", message: "oi" }));
    expect(data(r).status).toBe("OK");
    expect(r.deliveries[0]!.topic).toBe("bob");
    expect(r.deliveries[0]!.payload).toMatchObject({ service: "message", data: { src: "ana", dst: "bob", message: "oi" } });
    const noDst = data(svc.handle(req("message", { src: "ana", dst: "carl", message: "oi" })));
    expect(noDst).toMatchObject({ status: "erro" });
    expect(noDst.message).toContain("carl");
    expect(data(svc.handle(req("message", { src: "zed", dst: "bob", message: "oi" }))).message).toContain("zed");
  });

  it("history pages a channel and a private conversation, oldest first", () => {
    setup();
    for (let i = 0; i < 5; i++) svc.handle(req("publish", { user: "ana", channel: "geral", message: `m${i}` }));
    svc.handle(req("message", { src: "ana", dst: "bob", message: "p1" }));
    svc.handle(req("message", { src: "bob", dst: "ana", message: "p2" }));
    const page = data(svc.handle(req("history", { channel: "geral", limit: 2 })));
    expect(page.messages.map((m: any) => m.message)).toEqual(["m3", "m4"]);
    const oldest = page.messages[0];
    const oldestId = oldest.id;
    expect(typeof oldestId).toBe("string");
    expect([oldest.user, oldest.channel, typeof oldest.clock]).toEqual(["ana", "geral", "number"]);
    const back = data(svc.handle(req("history", { channel: "geral", limit: 2, before: oldestId })));
    expect(back.messages.map((m: any) => m.message)).toEqual(["m1", "m2"]);
    const priv = data(svc.handle(req("history", { user: "bob", peer: "ana" })));
    expect(priv.messages.map((m: any) => [m.src, m.message])).toEqual([["ana", "p1"], ["bob", "p2"]]);
    expect(data(svc.handle(req("history", { channel: "nope" }))).status).toBe("erro");
    expect(data(svc.handle(req("history", { channel: "geral", before: "no-such-id" }))).description).toContain("unknown message id");
    expect(data(svc.handle(req("history", { user: "ana", peer: "zed" }))).status).toBe("erro");
  });

  it("refuses server-to-server services and unknown services", () => {
    for (const s of ["election", "clock", "rank", "list", "heartbeat", "replicate", "sync"]) {
      const r = svc.handle(req(s, { user: "s2" }));
      expect(r.reply.service).toBe(s);
      expect(data(r).status).toBe("erro");
      expect(typeof data(r).description).toBe("string");
      expect(r.deliveries).toEqual([]);
    }
  });

  it("answers garbage with the `error` service and never throws", () => {
    for (const raw of [null, 5, "login", [1], { service: 1 }, { data: {} }, new Uint8Array(3)]) {
      const r = svc.handle(raw);
      expect(r.reply.service).toBe("error");
      expect(data(r)).toMatchObject({ status: "erro", description: expect.any(String), clock: expect.any(Number), timestamp: expect.any(Number) });
    }
  });

  it("reply clocks exceed the request clock, also on errors", () => {
    const r = svc.handle(req("channels", { clock: 100 }));
    expect(data(r).clock).toBe(101);
    const e = svc.handle(req("publish", { clock: 200 }));
    expect(data(e).clock).toBe(201);
    const g = svc.handle(req("users", { clock: "x" }));
    expect(data(g).status).toBe("erro");
    expect(data(g).clock).toBeGreaterThan(201);
  });

  it("turns a storage failure into an erro reply", () => {
    setup();
    store.close();
    const r = svc.handle(req("publish", { user: "ana", channel: "geral", message: "x" }));
    expect(data(r).status).toBe("erro");
    expect(data(r).message).toContain("internal error");
  });
});
