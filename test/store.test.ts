import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { openStore } from "../shared/store/sqlite.ts";
import { StoreError, type ChatRecord } from "../shared/store/store.ts";
import { Scratch } from "./helpers/scratch.ts";

const scratch = new Scratch("store-test-");

function pub(origin: string, seq: number, clock: number, channel = "geral", id?: string): ChatRecord {
  return { origin, seq, kind: "publish", id: id ?? `${origin}:${seq}`, user: "ana", channel, message: `m${origin}${seq}`, timestamp: 1_700_000_000_000 + seq, clock };
}

describe("sqlite store", () => {
  it("appends local records with contiguous seq, users and channels", () => {
    const s = openStore(scratch.dir(), "s1");
    const a = s.appendLocal({ kind: "login", user: "ana", timestamp: 1, clock: 1 });
    s.appendLocal({ kind: "login", user: "ana", timestamp: 2, clock: 2 });
    s.appendLocal({ kind: "login", user: "bob", timestamp: 2, clock: 3 });
    const c = s.appendLocal({ kind: "channel", channel: "geral", timestamp: 3, clock: 4 });
    expect(a).toEqual({ record: { origin: "s1", seq: 1, kind: "login", id: "s1:1", user: "ana", timestamp: 1, clock: 1 }, duplicate: false });
    expect(c.record.seq).toBe(4);
    expect(s.users()).toEqual(["ana", "bob"]);
    expect(s.hasUser("ana") && !s.hasUser("carl")).toBe(true);
    expect(s.channels()).toEqual(["geral"]);
    expect(s.hasChannel("geral") && !s.hasChannel("x")).toBe(true);
    expect(s.vector()).toEqual({ s1: 4 });
    expect(s.count()).toBe(0);
    s.close();
  });

  it("deduplicates by client id without storing anything", () => {
    const s = openStore(scratch.dir(), "s1");
    const first = s.appendLocal({ kind: "publish", id: "abc", user: "ana", channel: "g", message: "hi", timestamp: 1, clock: 5 });
    const again = s.appendLocal({ kind: "publish", id: "abc", user: "ana", channel: "g", message: "hi", timestamp: 2, clock: 9 });
    expect(again.duplicate).toBe(true);
    expect(again.record).toEqual(first.record);
    expect(s.count()).toBe(1);
    expect(s.vector()).toEqual({ s1: 1 });
    s.close();
  });

  it("applies remote records idempotently and keeps a contiguous vector under out-of-order arrival", () => {
    const s = openStore(scratch.dir(), "s1");
    expect(s.apply(pub("s2", 3, 30))).toBe(true);
    expect(s.apply(pub("s2", 1, 10))).toBe(true);
    expect(s.vector()).toEqual({ s2: 1 });
    expect(s.apply(pub("s2", 1, 10))).toBe(false);
    expect(s.apply(pub("s2", 2, 20))).toBe(true);
    expect(s.vector()).toEqual({ s2: 3 });
    expect(s.since("s2", 1, 10).map((r) => r.seq)).toEqual([2, 3]);
    expect(s.since("s2", 0, 2).map((r) => r.seq)).toEqual([1, 2]);
    expect(s.has("s2", 2) && !s.has("s2", 4)).toBe(true);
    expect(s.count()).toBe(3);
    s.close();
  });

  it("rejects malformed records with StoreError", () => {
    const s = openStore(scratch.dir(), "s1");
    const bad: unknown[] = [null, { ...pub("s2", 1, 1), seq: 0 }, { ...pub("s2", 1, 1), kind: "x" }, { ...pub("s2", 1, 1), message: 5 }, { ...pub("s2", 1, 1), channel: undefined }, { ...pub("s2", 1, 1), clock: -1 }];
    for (const r of bad) expect(() => s.apply(r as ChatRecord)).toThrow(StoreError);
    expect(s.vector()).toEqual({});
    s.close();
  });

  it("advances the local seq past own records received back from peers", () => {
    const s = openStore(scratch.dir(), "s1");
    s.apply(pub("s1", 1, 1));
    expect(s.appendLocal({ kind: "login", user: "x", timestamp: 1, clock: 2 }).record.seq).toBe(2);
    s.close();
  });

  it("orders history by (clock, origin, seq) and pages back with before", () => {
    const s = openStore(scratch.dir(), "s1");
    const recs = [pub("s2", 1, 5), pub("s1", 1, 5), pub("s1", 2, 3), pub("s3", 1, 7), pub("s2", 2, 5, "other"), pub("s1", 3, 5)];
    for (const r of recs) s.apply(r);
    const ids = (rs: ChatRecord[]) => rs.map((r) => r.id);
    expect(ids(s.history({ channel: "geral" }, 100))).toEqual(["s1:2", "s1:1", "s1:3", "s2:1", "s3:1"]);
    expect(ids(s.history({ channel: "geral" }, 2))).toEqual(["s2:1", "s3:1"]);
    expect(ids(s.history({ channel: "geral" }, 2, "s2:1"))).toEqual(["s1:1", "s1:3"]);
    expect(ids(s.history({ channel: "geral" }, 2, "s1:1"))).toEqual(["s1:2"]);
    expect(ids(s.history({ channel: "geral" }, 10, 5))).toEqual(["s1:2"]);
    expect(s.history({ channel: "geral" }, 10, "nope")).toEqual([]);
    expect(ids(s.history({ channel: "other" }, 10))).toEqual(["s2:2"]);
    s.close();
  });

  it("keeps private conversations apart and symmetric", () => {
    const s = openStore(scratch.dir(), "s1");
    s.appendLocal({ kind: "message", src: "ana", dst: "bob", message: "oi", timestamp: 1, clock: 1 });
    s.appendLocal({ kind: "message", src: "bob", dst: "ana", message: "olá", timestamp: 2, clock: 2 });
    s.appendLocal({ kind: "message", src: "ana", dst: "carl", message: "hey", timestamp: 3, clock: 3 });
    expect(s.history({ user: "ana", peer: "bob" }, 10).map((r) => r.message)).toEqual(["oi", "olá"]);
    expect(s.history({ user: "bob", peer: "ana" }, 10).map((r) => r.message)).toEqual(["oi", "olá"]);
    expect(s.history({ user: "carl", peer: "ana" }, 10).map((r) => r.message)).toEqual(["hey"]);
    s.close();
  });

  it("converges: same records in different orders give the same digest and history, even with a duplicated client id", () => {
    const recs = [pub("s1", 1, 4), pub("s2", 1, 2), pub("s2", 2, 6, "geral", "dup-1"), pub("s1", 2, 9, "geral", "dup-1"), pub("s3", 1, 6), pub("s1", 3, 6)];
    const a = openStore(scratch.dir(), "s1");
    const b = openStore(scratch.dir(), "s2");
    for (const r of recs) a.apply(r);
    for (const r of [...recs].reverse()) b.apply(r);
    expect(a.digest()).toBe(b.digest());
    expect(a.count()).toBe(5);
    expect(b.count()).toBe(5);
    expect(a.history({ channel: "geral" }, 100)).toEqual(b.history({ channel: "geral" }, 100));
    expect(a.get("dup-1")!.origin).toBe("s2"); // the one first in (clock, origin, seq) order
    expect(b.get("dup-1")!.origin).toBe("s2");
    expect(a.vector()).toEqual(b.vector());
    expect(a.vector()).toEqual({ s1: 3, s2: 2, s3: 1 });
    const c = openStore(scratch.dir(), "s3");
    c.apply(recs[0]!);
    expect(c.digest()).not.toBe(a.digest());
    a.close();
    b.close();
    c.close();
  });

  it("keeps everything across close and reopen", () => {
    const dir = scratch.dir();
    const s = openStore(dir, "s1");
    s.appendLocal({ kind: "login", user: "ana", timestamp: 1, clock: 1 });
    s.appendLocal({ kind: "channel", channel: "geral", timestamp: 1, clock: 2 });
    s.transaction(() => {
      for (let i = 0; i < 10; i++) s.appendLocal({ kind: "publish", user: "ana", channel: "geral", message: `m${i}`, timestamp: 1, clock: 3 + i });
    });
    s.apply(pub("s2", 2, 50));
    const digest = s.digest();
    s.close();
    const r = openStore(dir, "s1");
    expect(r.users()).toEqual(["ana"]);
    expect(r.channels()).toEqual(["geral"]);
    expect(r.count()).toBe(11);
    expect(r.digest()).toBe(digest);
    expect(r.vector()).toEqual({ s1: 12 });
    expect(r.history({ channel: "geral" }, 3).map((x) => x.message)).toEqual(["m8", "m9", "ms22"]);
    expect(r.appendLocal({ kind: "login", user: "bob", timestamp: 1, clock: 60 }).record.seq).toBe(13);
    r.apply(pub("s2", 1, 40));
    expect(r.vector()).toEqual({ s1: 13, s2: 2 });
    r.close();
  });

  it("rolls back a failed transaction, counters included", () => {
    const s = openStore(scratch.dir(), "s1");
    s.appendLocal({ kind: "publish", user: "a", channel: "g", message: "keep", timestamp: 1, clock: 1 });
    const d = s.digest();
    expect(() =>
      s.transaction(() => {
        s.appendLocal({ kind: "publish", user: "a", channel: "g", message: "lost", timestamp: 1, clock: 2 });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(s.count()).toBe(1);
    expect(s.digest()).toBe(d);
    expect(s.vector()).toEqual({ s1: 1 });
    expect(s.appendLocal({ kind: "login", user: "a", timestamp: 1, clock: 3 }).record.seq).toBe(2);
    s.close();
  });

  it("keeps the digest right when a write inside a group commit fails, and on disk after reopen", () => {
    const dir = scratch.dir();
    const s = openStore(dir, "s1");
    s.transaction(() => {
      s.appendLocal({ kind: "publish", user: "a", channel: "g", message: "one", timestamp: 1, clock: 1 });
      expect(() =>
        s.transaction(() => {
          s.appendLocal({ kind: "publish", user: "a", channel: "g", message: "lost", timestamp: 1, clock: 2 });
          throw new Error("boom");
        }),
      ).toThrow("boom");
      s.appendLocal({ kind: "publish", user: "a", channel: "g", message: "two", timestamp: 1, clock: 3 });
    });
    expect(s.count()).toBe(2);
    const d = s.digest();
    s.close();
    const again = openStore(dir, "s1");
    expect(again.count()).toBe(2);
    expect(again.digest()).toBe(d);
    expect(again.history({ channel: "g" }, 10).map((r) => r.message)).toEqual(["one", "two"]);
    expect(again.vector()).toEqual({ s1: 2 });
    again.close();
  });

  it("refuses a schema version mismatch and another server's data", () => {
    const dir = scratch.dir();
    openStore(dir, "s1").close();
    expect(() => openStore(dir, "s2")).toThrow(StoreError);
    const db = new Database(join(dir, "chat.sqlite"));
    db.run("UPDATE meta SET value = '99' WHERE key = 'schema'");
    db.close();
    expect(() => openStore(dir, "s1")).toThrow(/schema version 99/);
  });
});
