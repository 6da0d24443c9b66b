/**
 * The acknowledgement rule as a state machine, on fake time, and the
 * replication wire checks.
 */
import { describe, expect, test } from "bun:test";
import { AckTracker } from "../shared/server/replication/ack-tracker.ts";
import { chunk, mergeRanges, parseAck, parseFetch, parsePush, parseVector, ReplicationError, toRanges } from "../shared/server/replication/wire.ts";
import { freshOrigin, originServer } from "../shared/server/origin.ts";

function tracker(minReplicas: number) {
  let now = 0;
  const t = new AckTracker({ minReplicas, timeoutMs: 100, now: () => now });
  return { t, advance: (ms: number) => (now += ms) };
}

/** Settles a promise into "ok" | "err" | "pending" without waiting. */
async function state(p: Promise<void>): Promise<string> {
  let s = "pending";
  p.then(() => (s = "ok"), () => (s = "err"));
  await Promise.resolve();
  await Promise.resolve();
  return s;
}

describe("AckTracker", () => {
  test("no live peer: local durability suffices", async () => {
    const { t } = tracker(1);
    expect(await state(t.wait(1))).toBe("ok");
  });

  test("waits for a confirmation from one live peer, by range", async () => {
    const { t } = tracker(1);
    t.setLive(["b", "c"]);
    const w1 = t.wait(1);
    const w2 = t.wait(2);
    const w3 = t.wait(3);
    expect(await state(w1)).toBe("pending");
    t.ack("b", [[1, 2]]);
    expect(await state(w1)).toBe("ok");
    expect(await state(w2)).toBe("ok");
    expect(await state(w3)).toBe("pending");
    expect(t.pending).toBe(1);
  });

  test("minReplicas 2 needs two different peers; the same peer twice is not enough", async () => {
    const { t } = tracker(2);
    t.setLive(["b", "c", "d"]);
    const w = t.wait(5);
    t.ack("b", [[5, 5]]);
    t.ack("b", [[1, 9]]);
    expect(await state(w)).toBe("pending");
    t.ack("d", [[4, 6]]);
    expect(await state(w)).toBe("ok");
  });

  test("the requirement shrinks to the live peers: a peer leaving the list releases waits", async () => {
    const { t } = tracker(1);
    t.setLive(["b"]);
    const w = t.wait(1);
    expect(await state(w)).toBe("pending");
    t.setLive([]);
    expect(await state(w)).toBe("ok");
  });

  test("a vector floor confirms old and future waits up to it", async () => {
    const { t } = tracker(1);
    t.setLive(["b"]);
    t.ackUpTo("b", 10);
    expect(await state(t.wait(7))).toBe("ok");
    expect(await state(t.wait(11))).toBe("pending");
  });

  test("an unconfirmed wait fails at its deadline with a retry message", async () => {
    const { t, advance } = tracker(1);
    t.setLive(["b"]);
    const w = t.wait(1);
    advance(99);
    t.expire();
    expect(await state(w)).toBe("pending");
    advance(1);
    t.expire();
    expect(w).rejects.toThrow(/retry/);
    expect(t.pending).toBe(0);
  });

  test("an everyone-wait needs every live peer, but settles for the quorum at its deadline", async () => {
    const { t, advance } = tracker(1);
    t.setLive(["b", "c"]);
    const w = t.wait(1, true);
    t.ack("b", [[1, 1]]);
    expect(await state(w)).toBe("pending");
    t.ack("c", [[1, 1]]);
    expect(await state(w)).toBe("ok");
    const late = t.wait(2, true);
    t.ack("b", [[2, 2]]);
    advance(100);
    t.expire();
    expect(await state(late)).toBe("ok");
    const none = t.wait(3, true);
    advance(100);
    t.expire();
    expect(none).rejects.toThrow(/retry/);
  });

  test("close fails every pending wait", async () => {
    const { t } = tracker(1);
    t.setLive(["b"]);
    const w = t.wait(3);
    t.close();
    expect(w).rejects.toBeInstanceOf(ReplicationError);
  });

  test("refuses nonsense options", () => {
    expect(() => new AckTracker({ minReplicas: -1 })).toThrow(ReplicationError);
    expect(() => new AckTracker({ timeoutMs: 0 })).toThrow(ReplicationError);
  });
});

describe("replication wire", () => {
  test("ranges", () => {
    expect(toRanges([5, 1, 2, 3, 7, 6, 9])).toEqual([[1, 3], [5, 7], [9, 9]]);
    expect(mergeRanges([[1, 3], [8, 9]], [[4, 5], [7, 7]])).toEqual([[1, 5], [7, 9]]);
  });

  test("batches stay within the record and byte budgets, in order", () => {
    const rec = (seq: number, message: string) => ({ origin: "o", seq, kind: "publish" as const, id: `o:${seq}`, user: "u", channel: "c", message, timestamp: 1, clock: seq });
    const recs = Array.from({ length: 10 }, (_, i) => rec(i + 1, "x".repeat(100)));
    const parts = chunk(recs, 4, 1_000_000);
    expect(parts.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(parts.flat().map((r) => r.seq)).toEqual(recs.map((r) => r.seq));
    expect(chunk(recs, 100, 1000).every((p) => p.length >= 1 && p.length <= 3)).toBe(true);
  });

  test.each([
    ["push not a map", () => parsePush([1])],
    ["push without address", () => parsePush({ from: "a", origin: "a", records: [] })],
    ["push records not a list", () => parsePush({ from: "a", origin: "a", address: "x", records: {} })],
    ["push too many records", () => parsePush({ from: "a", origin: "a", address: "x", records: new Array(5000).fill({}) })],
    ["ack with a reversed range", () => parseAck({ from: "a", origin: "a", ranges: [[3, 1]] })],
    ["ack with a fractional seq", () => parseAck({ from: "a", origin: "a", ranges: [[1.5, 2]] })],
    ["vector with a negative entry", () => parseVector({ a: -1 })],
    ["vector that is a list", () => parseVector([1, 2])],
    ["fetch with a string after", () => parseFetch({ origin: "a", after: "0" })],
  ])("refuses %s", (_name, f) => {
    expect(f).toThrow(ReplicationError);
  });

  test("fetch limits are clamped to the page maximum", () => {
    expect(parseFetch({ origin: "a", after: 0, limit: 1e9 }, 500).limit).toBe(500);
  });

  test("origins: fresh per database, and name recoverable", () => {
    const a = freshOrigin("server1");
    const b = freshOrigin("server1");
    expect(a).not.toBe(b);
    expect(originServer(a)).toBe("server1");
    expect(originServer("legacy")).toBe("legacy");
  });
});
