/**
 * The seed team's flat dialect (dialects.md), request by request as their
 * Python, Node and C# clients send it, served by the real ChatService over a
 * real store, and answered the way those clients read the reply.
 */
import { beforeEach, describe, expect, it } from "bun:test";
import { ChatService } from "../shared/server/chat-service.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { isSeedRequest, toSeedReply } from "../shared/wire/seed-dialect.ts";
import type { Store } from "../shared/store/store.ts";
import { Scratch } from "./helpers/scratch.ts";

const scratch = new Scratch("seed-");
let svc: ChatService;
let store: Store;
beforeEach(() => {
  store = scratch.store("s1");
  svc = new ChatService(store, { serverName: "s1", clock: new LamportClock(), now: () => 1_733_000_000_000 });
});

/** One request as the seed clients send it, and the flat reply they read. */
function seed(raw: Record<string, unknown>) {
  expect(isSeedRequest(raw)).toBe(true);
  const res = svc.handle(raw);
  expect(res.seed).toBe(true);
  return { reply: toSeedReply(res.reply), res };
}

describe("seed dialect", () => {
  it("tells the dialect from the contract", () => {
    expect(isSeedRequest({ command: "login", username: "ana" })).toBe(true);
    expect(isSeedRequest({ service: "login", data: { user: "ana" } })).toBe(false);
    expect(isSeedRequest({ service: "login", command: "login" })).toBe(false);
    expect(isSeedRequest({ command: 5 })).toBe(false);
  });

  it("serves login, users, channel, channels with flat OK replies carrying clock", () => {
    const login = seed({ command: "login", username: "ana", timestamp: 1 }).reply;
    expect(login).toMatchObject({ status: "OK", timestamp: 1_733_000_000_000 });
    expect(typeof login.clock).toBe("number");
    expect(Number(login.clock)).toBeGreaterThan(1);
    expect(seed({ command: "users", timestamp: 2 }).reply).toMatchObject({ status: "OK", users: ["ana"] });
    expect(seed({ command: "channel", channel: "dev", timestamp: 3 }).reply).toMatchObject({ status: "OK" });
    expect(seed({ command: "channels", timestamp: 4 }).reply).toMatchObject({ status: "OK", channels: ["dev"] });
  });

  it("takes their timestamp as their Lamport counter", () => {
    const r = seed({ command: "users", timestamp: 500 }).reply;
    expect(r.clock).toBe(501);
  });

  it("publishes to general without it being created first, and delivers a display line", () => {
    seed({ command: "login", username: "ana", timestamp: 1 });
    const { reply, res } = seed({ command: "publish", user: "ana", topic: "general", payload: "ana: hi", timestamp: 2 });
    expect(reply).toMatchObject({ status: "OK" });
    expect(store.channels()).toEqual(["general"]);
    expect(res.records.map((r) => r.kind)).toEqual(["channel", "publish"]);
    const d = res.deliveries[0]!;
    expect(d.topic).toBe("general");
    expect(d.payload).toMatchObject({ message: "[general] ana: hi", timestamp: 1_733_000_000_000 });
    expect(d.payload.data).toMatchObject({ user: "ana", channel: "general", message: "ana: hi" });
  });

  it("sends private messages with user/topic/payload", () => {
    seed({ command: "login", username: "ana", timestamp: 1 });
    seed({ command: "login", username: "bob", timestamp: 1 });
    const { reply, res } = seed({ command: "message", user: "ana", topic: "bob", payload: "hi bob", timestamp: 2 });
    expect(reply.status).toBe("OK");
    expect(res.deliveries[0]!.topic).toBe("bob");
    expect(res.deliveries[0]!.payload.message).toBe("[private] ana: hi bob");
  });

  it("answers errors flat, with the text under message and description", () => {
    const r = seed({ command: "message", user: "ana", topic: "nobody", payload: "x", timestamp: 1 }).reply;
    expect(r.status).toBe("erro");
    expect(r.message).toContain("does not exist");
    expect(r.description).toBe(r.message);
    const unknown = seed({ command: "dance", timestamp: 1 }).reply;
    expect(unknown.status).toBe("erro");
    expect(unknown.message).toContain("unknown service 'dance'");
    const dup = seed({ command: "channel", channel: "x", timestamp: 1 }) && seed({ command: "channel", channel: "x", timestamp: 1 }).reply;
    expect(dup).toMatchObject({ status: "erro", message: "channel 'x' already exists" });
  });

  it("a contract publish to a missing channel is still refused", () => {
    svc.handle({ service: "login", data: { user: "ana" } });
    const r = svc.handle({ service: "publish", data: { user: "ana", channel: "general", message: "x" } });
    expect(r.reply.data).toMatchObject({ status: "erro", message: "channel 'general' does not exist" });
  });
});
