/**
 * Presence (an extension): the roster every server and client keeps from
 * `$presence` announcements (join/part/quit changes per user across their
 * sessions, late announcements ignored by clock, silent sessions expired),
 * and the server's `presence` and `names` services: the announcement
 * published on `$presence` only, nothing stored, `names` answered from
 * memory, another server's publication learnt from the topic.
 */
import { beforeEach, describe, expect, it } from "bun:test";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { ChatService } from "../shared/server/chat-service.ts";
import type { Store } from "../shared/store/store.ts";
import { PRESENCE_TTL_MS, Roster, TOPIC_PRESENCE, type Announcement } from "../shared/wire/presence.ts";
import { Scratch } from "./helpers/scratch.ts";

const a = (user: string, channels: string[], clock: number, extra: Partial<Announcement> = {}): Announcement => ({
  user, session: "s1", channels, state: "online", clock, ...extra,
});

describe("Roster", () => {
  it("reports a user coming online, joining and leaving channels, and quitting", () => {
    const r = new Roster();
    expect(r.apply(a("bob", ["geral"], 1), 0)).toEqual({ user: "bob", joined: ["geral"], parted: [], came: true, left: false });
    expect(r.apply(a("bob", ["geral"], 2), 10)).toBeNull(); // a refresh changes nothing
    expect(r.apply(a("bob", ["news"], 3), 20)).toEqual({ user: "bob", joined: ["news"], parted: ["geral"], came: false, left: false });
    expect(r.online(20, "news")).toEqual(["bob"]);
    expect(r.online(20, "geral")).toEqual([]);
    expect(r.apply(a("bob", ["news"], 4, { state: "offline" }), 30)).toEqual({ user: "bob", joined: [], parted: ["news"], came: false, left: "quit" });
    expect(r.online(30)).toEqual([]);
  });

  it("ignores an announcement older than one already applied", () => {
    const r = new Roster();
    r.apply(a("bob", ["geral"], 5, { state: "offline" }), 0);
    expect(r.apply(a("bob", ["geral"], 4), 1)).toBeNull();
    expect(r.isOnline("bob", 1)).toBe(false);
  });

  it("keeps a user online while one of their sessions is", () => {
    const r = new Roster();
    r.apply(a("ana", ["geral"], 1), 0);
    r.apply(a("ana", ["news"], 2, { session: "s2" }), 0);
    expect(r.apply(a("ana", [], 3, { state: "offline" }), 0)).toEqual({ user: "ana", joined: [], parted: ["geral"], came: false, left: false });
    expect(r.isOnline("ana", 0)).toBe(true);
    expect(r.snapshot(0)).toEqual([{ user: "ana", session: "s2", channels: ["news"] }]);
  });

  it("drops a session that stopped announcing, as a timeout", () => {
    const r = new Roster(1000);
    r.apply(a("bob", ["geral"], 1), 0);
    expect(r.expire(999)).toEqual([]);
    expect(r.expire(1000)).toEqual([{ user: "bob", joined: [], parted: ["geral"], came: false, left: "timeout" }]);
    expect(r.online(1000)).toEqual([]);
  });
});

describe("presence and names services", () => {
  const scratch = new Scratch("presence-");
  let svc: ChatService;
  let store: Store;
  const req = (service: string, data: Record<string, unknown> = {}) => ({ service, data: { timestamp: 1, clock: 0, ...data } });
  const data = (r: { reply: { data: unknown } }) => r.reply.data as Record<string, any>;

  beforeEach(() => {
    store = scratch.store("s1");
    svc = new ChatService(store, { serverName: "s1", clock: new LamportClock(), now: () => 1_700_000_000_000 });
    svc.handle(req("login", { user: "ana" }));
  });

  it("publishes an announcement on $presence only, stores nothing, and answers names from memory", () => {
    const before = store.count();
    const r = svc.handle(req("presence", { user: "ana", session: "abc123", channels: ["geral"], state: "online" }));
    expect(data(r)).toMatchObject({ status: "OK", ttl: PRESENCE_TTL_MS });
    expect(r.records).toEqual([]);
    expect(store.count()).toBe(before);
    expect(r.deliveries).toHaveLength(1);
    expect(r.deliveries[0]!.topic).toBe(TOPIC_PRESENCE);
    expect(r.deliveries[0]!.payload).toMatchObject({ service: "presence", data: { user: "ana", session: "abc123", channels: ["geral"], state: "online" } });
    expect(data(svc.handle(req("names", { channel: "geral" })))).toMatchObject({ status: "OK", users: ["ana"] });
    expect(data(svc.handle(req("names", { channel: "news" }))).users).toEqual([]);
    expect(data(svc.handle(req("names"))).sessions).toEqual([{ user: "ana", session: "abc123", channels: ["geral"] }]);
  });

  it("learns another server's announcements from the topic", () => {
    svc.presence.receive({ service: "presence", data: { user: "bob", session: "x1", channels: ["geral"], state: "online", timestamp: 1, clock: 9 } });
    expect(data(svc.handle(req("names", { channel: "geral" }))).users).toEqual(["bob"]);
    svc.presence.receive({ service: "presence", data: { user: "bob", session: "x1", channels: [], state: "offline", timestamp: 2, clock: 10 } });
    expect(data(svc.handle(req("names"))).users).toEqual([]);
  });

  it("refuses a bad announcement, or one from a user who never logged in", () => {
    const refused = (d: Record<string, unknown>) => data(svc.handle(req("presence", d)));
    expect(refused({ user: "zed", session: "abc", channels: [] })).toMatchObject({ status: "erro" });
    expect(refused({ user: "ana", session: "no spaces", channels: [] }).description).toContain("session");
    expect(refused({ user: "ana", session: "abc", channels: ["$x"] }).description).toContain("reserved");
    expect(refused({ user: "ana", session: "abc", channels: "geral" }).description).toContain("list");
    expect(refused({ user: "ana", session: "abc", state: "away" }).description).toContain("state");
    expect(data(svc.handle(req("names", { channel: "" }))).status).toBe("erro");
  });
});
