import { describe, expect, test } from "bun:test";
import { berkeleyRound, cristianCorrection, type ClockReading } from "../shared/cluster/berkeley.ts";
import { WallClock } from "../shared/cluster/wall-clock.ts";
import { isClusterError } from "../shared/cluster/errors.ts";

/** Fake machine time shared by every simulated server. */
function fakeTime(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Poll each peer: request takes `up` ms, reply `down` ms. */
function poll(
  time: ReturnType<typeof fakeTime>,
  coord: WallClock,
  peers: Record<string, WallClock>,
  delays: Record<string, [number, number]>,
): ClockReading[] {
  const out: ClockReading[] = [];
  for (const [name, clock] of Object.entries(peers)) {
    const [up, down] = delays[name] ?? [2, 2];
    const sentAt = coord.now();
    time.advance(up);
    const reading = clock.now();
    time.advance(down);
    out.push({ name, time: reading, sentAt, receivedAt: coord.now() });
  }
  return out;
}

function spread(clocks: WallClock[]): number {
  const r = clocks.map((c) => c.now());
  return Math.max(...r) - Math.min(...r);
}

describe("WallClock", () => {
  test("reads base plus offset and adjusts", () => {
    const t = fakeTime(1000);
    const c = new WallClock({ skewMs: 250, base: t.now });
    expect(c.now()).toBe(1250);
    c.adjust(-300);
    expect(c.offset).toBe(-50);
    expect(c.now()).toBe(950);
    c.offset = 7;
    expect(c.now()).toBe(1007);
  });

  test("default skew is within ±1 s", () => {
    for (let i = 0; i < 50; i++) expect(Math.abs(new WallClock().offset)).toBeLessThanOrEqual(1000);
  });

  test("rejects non-finite adjustments without changing the clock", () => {
    const c = new WallClock({ skewMs: 10 });
    for (const bad of [NaN, Infinity, "5" as unknown as number]) {
      let err: unknown;
      try {
        c.adjust(bad);
      } catch (e) {
        err = e;
      }
      expect(isClusterError(err, "bad-input")).toBe(true);
    }
    expect(c.offset).toBe(10);
  });
});

describe("berkeleyRound", () => {
  test("one round brings ±1 s skews within a few ms", () => {
    const time = fakeTime();
    const coord = new WallClock({ skewMs: 1000, base: time.now });
    const peers = {
      b: new WallClock({ skewMs: -1000, base: time.now }),
      c: new WallClock({ skewMs: 400, base: time.now }),
      d: new WallClock({ skewMs: -730, base: time.now }),
    };
    const all = [coord, ...Object.values(peers)];
    expect(spread(all)).toBeGreaterThan(1900);
    const readings = poll(time, coord, peers, { b: [1, 3], c: [4, 2], d: [2, 2] });
    const result = berkeleyRound("a", readings);
    expect(result.discarded).toEqual([]);
    expect(result.adjustments.map((a) => a.name)).toEqual(["a", "b", "c", "d"]);
    time.advance(50); // adjustments arrive later: deltas don't care
    const byName: Record<string, WallClock> = { a: coord, ...peers };
    for (const a of result.adjustments) byName[a.name]!.adjust(a.adjustMs);
    expect(spread(all)).toBeLessThanOrEqual(3);
    // the agreed time is the mean of the original offsets (1000-1000+400-730)/4
    expect(Math.abs(coord.now() - time.now() - -82.5)).toBeLessThanOrEqual(3);
  });

  test("a reading with a huge round trip is discarded and gets no adjustment", () => {
    const time = fakeTime();
    const coord = new WallClock({ skewMs: 0, base: time.now });
    const peers = {
      b: new WallClock({ skewMs: 100, base: time.now }),
      c: new WallClock({ skewMs: -100, base: time.now }),
      slow: new WallClock({ skewMs: 500, base: time.now }),
    };
    const readings = poll(time, coord, peers, { slow: [5, 800] });
    const result = berkeleyRound("a", readings);
    expect(result.discarded).toEqual([{ name: "slow", reason: "rtt" }]);
    expect(result.adjustments.map((a) => a.name)).toEqual(["a", "b", "c"]);
    expect(result.averageOffsetMs).toBeCloseTo(0, 5);
  });

  test("an outlying clock is left out of the average but still corrected", () => {
    const time = fakeTime();
    const coord = new WallClock({ skewMs: 0, base: time.now });
    const peers = {
      b: new WallClock({ skewMs: 200, base: time.now }),
      c: new WallClock({ skewMs: -200, base: time.now }),
      wild: new WallClock({ skewMs: 3_600_000, base: time.now }),
    };
    const result = berkeleyRound("a", poll(time, coord, peers, {}));
    expect(result.discarded).toEqual([{ name: "wild", reason: "deviation" }]);
    const byName: Record<string, WallClock> = { a: coord, ...peers };
    for (const a of result.adjustments) byName[a.name]!.adjust(a.adjustMs);
    expect(spread(Object.values(byName))).toBeLessThanOrEqual(2);
    expect(Math.abs(coord.offset)).toBeLessThanOrEqual(2); // the hour-off clock didn't drag everyone
  });

  test("garbage readings are reported, not averaged", () => {
    const result = berkeleyRound("a", [
      { name: "x", time: NaN, sentAt: 0, receivedAt: 1 },
      { name: "y", time: 5, sentAt: 10, receivedAt: 2 },
      { name: "a", time: 5, sentAt: 0, receivedAt: 2 },
    ]);
    expect(result.discarded.map((d) => d.reason)).toEqual(["invalid", "invalid", "invalid"]);
    expect(result.adjustments).toEqual([{ name: "a", adjustMs: 0 }]);
  });

  test("no peers: nothing to change", () => {
    expect(berkeleyRound("a", []).adjustments).toEqual([{ name: "a", adjustMs: 0 }]);
  });
});

describe("cristianCorrection", () => {
  test("moves the follower to the coordinator's clock", () => {
    const time = fakeTime();
    const coord = new WallClock({ skewMs: 700, base: time.now });
    const me = new WallClock({ skewMs: -900, base: time.now });
    const sentAt = me.now();
    time.advance(3);
    const reading = coord.now();
    time.advance(5);
    const r = cristianCorrection({ sentAt, receivedAt: me.now(), time: reading });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.rttMs).toBe(8);
      me.adjust(r.deltaMs);
    }
    expect(Math.abs(me.now() - coord.now())).toBeLessThanOrEqual(2);
  });

  test("refuses slow, backwards or non-numeric samples", () => {
    expect(cristianCorrection({ sentAt: 0, receivedAt: 5000, time: 1 }).ok).toBe(false);
    expect(cristianCorrection({ sentAt: 0, receivedAt: 500, time: 1 }, { maxRttMs: 100 }).ok).toBe(false);
    expect(cristianCorrection({ sentAt: 10, receivedAt: 5, time: 1 }).ok).toBe(false);
    expect(cristianCorrection({ sentAt: 0, receivedAt: 5, time: "x" as unknown as number }).ok).toBe(false);
  });
});
