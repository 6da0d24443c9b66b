import { describe, expect, test } from "bun:test";
import { Bully, type BullyAction } from "../shared/cluster/bully.ts";

const TIMEOUTS = { electionTimeoutMs: 200, announceTimeoutMs: 400, reannounceMs: 1000 };

function bully(self: string, rank: number) {
  return new Bully({ self, rank, ...TIMEOUTS });
}

/** Deterministic PRNG (mulberry32) so lossy runs are reproducible. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A message bus between N Bully instances. The "ref list" is the set of
 * live servers, but a killed server stays listed for `refLagMs` (missed
 * heartbeats take a while to notice). Messages take `latencyMs` and are
 * dropped with probability `dropRate`.
 */
class Sim {
  t = 0;
  dropRate = 0;
  latencyMs = 5;
  refLagMs = 300;
  readonly ranks = new Map<string, number>();
  readonly nodes = new Map<string, Bully>();
  readonly killedAt = new Map<string, number>();
  readonly changes: Array<{ at: number; node: string; to: string }> = [];
  #queue: Array<{ at: number; run: () => void }> = [];
  #random: () => number;

  constructor(names: string[], seed = 1) {
    this.#random = rng(seed);
    names.forEach((n, i) => {
      this.ranks.set(n, i + 1);
      this.nodes.set(n, bully(n, i + 1));
    });
  }

  alive(): string[] {
    return [...this.nodes.keys()].filter((n) => !this.killedAt.has(n));
  }

  kill(name: string) {
    this.killedAt.set(name, this.t);
  }

  /** Restart with fresh state (a new process), same name and rank. */
  revive(name: string) {
    this.killedAt.delete(name);
    this.nodes.set(name, bully(name, this.ranks.get(name)!));
  }

  #isUp(name: string) {
    return !this.killedAt.has(name);
  }

  #send(to: string, run: () => void) {
    if (this.#random() < this.dropRate) return;
    this.#queue.push({ at: this.t + this.latencyMs, run: () => this.#isUp(to) && run() });
  }

  #exec(name: string, actions: BullyAction[]) {
    const me = this.nodes.get(name)!;
    for (const a of actions) {
      if (a.type === "send-election") {
        for (const to of a.to) {
          this.#send(to, () => {
            const target = this.nodes.get(to)!;
            const got = target.onElectionRequest(name, this.t);
            if (got.some((x) => x.type === "reply-ok" && x.to === name)) {
              this.#send(name, () => this.#exec(name, me.onOk(to, this.t)));
            }
            this.#exec(to, got.filter((x) => x.type !== "reply-ok"));
          });
        }
      } else if (a.type === "announce") {
        for (const to of this.nodes.keys()) {
          if (to === name) continue;
          this.#send(to, () => this.#exec(to, this.nodes.get(to)!.onAnnouncement(a.coordinator, this.t)));
        }
      } else if (a.type === "coordinator-changed") {
        this.changes.push({ at: this.t, node: name, to: a.to });
      }
    }
  }

  step(ms = 10) {
    this.t += ms;
    const due = this.#queue.filter((m) => m.at <= this.t);
    this.#queue = this.#queue.filter((m) => m.at > this.t);
    for (const m of due) m.run();
    const listed = [...this.nodes.keys()].filter((n) => {
      const k = this.killedAt.get(n);
      return k === undefined || this.t - k < this.refLagMs;
    });
    for (const name of this.alive()) {
      const b = this.nodes.get(name)!;
      b.setPeers(listed.map((n) => ({ name: n, rank: this.ranks.get(n)! })));
      if (b.coordinator !== null && !listed.includes(b.coordinator)) {
        this.#exec(name, b.onCoordinatorMissing(this.t));
      }
      this.#exec(name, b.tick(this.t));
    }
  }

  run(ms: number) {
    const end = this.t + ms;
    while (this.t < end) this.step();
  }

  /** The single coordinator every live server agrees on, or null if they disagree. */
  agreed(): string | null {
    const alive = this.alive().map((n) => this.nodes.get(n)!);
    const views = new Set(alive.map((b) => b.coordinator));
    const selfDeclared = alive.filter((b) => b.isCoordinator).length;
    if (views.size !== 1 || selfDeclared !== 1) return null;
    return [...views][0]!;
  }
}

describe("Bully state machine", () => {
  test("a lone server elects itself on its first tick and announces", () => {
    const b = bully("a", 1);
    b.setPeers([{ name: "a", rank: 1 }]);
    const acts = b.tick(0);
    expect(acts).toEqual([
      { type: "announce", coordinator: "a" },
      { type: "coordinator-changed", from: null, to: "a" },
    ]);
    expect(b.coordinator).toBe("a");
    expect(b.state).toBe("idle");
  });

  test("asks only higher-ranked peers, and wins if none answers in time", () => {
    const b = bully("b", 2);
    b.setPeers([{ name: "a", rank: 1 }, { name: "b", rank: 2 }, { name: "c", rank: 3 }, { name: "d", rank: 4 }]);
    expect(b.tick(0)).toEqual([{ type: "send-election", to: ["c", "d"] }]);
    expect(b.state).toBe("electing");
    expect(b.tick(199)).toEqual([]);
    expect(b.tick(200).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
    expect(b.coordinator).toBe("b");
  });

  test("restarting an election while electing neither resends nor postpones the outcome", () => {
    const b = bully("b", 2);
    b.setPeers([{ name: "c", rank: 3 }]);
    expect(b.startElection(0)).toEqual([{ type: "send-election", to: ["c"] }]);
    for (let t = 50; t < 200; t += 50) expect(b.startElection(t)).toEqual([]);
    expect(b.onCoordinatorMissing(150)).toEqual([]);
    expect(b.tick(200).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
  });

  test("an OK without an announcement restarts the election (the higher peer died)", () => {
    const b = bully("b", 2);
    b.setPeers([{ name: "c", rank: 3 }]);
    b.tick(0);
    b.onOk("c", 10);
    expect(b.state).toBe("waiting-announcement");
    expect(b.tick(300)).toEqual([]); // election timeout no longer applies
    expect(b.tick(410)).toEqual([{ type: "send-election", to: ["c"] }]);
    b.setPeers([]); // c left the ref's list
    expect(b.tick(610).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
    expect(b.coordinator).toBe("b");
  });

  test("an election request from a lower peer gets OK and starts our own election", () => {
    const b = bully("b", 2);
    b.setPeers([{ name: "a", rank: 1 }, { name: "c", rank: 3 }]);
    b.onAnnouncement("c", 0);
    expect(b.onElectionRequest("a", 5)).toEqual([
      { type: "reply-ok", to: "a" },
      { type: "send-election", to: ["c"] },
    ]);
    // a second request while electing: OK only
    expect(b.onElectionRequest("a", 6)).toEqual([{ type: "reply-ok", to: "a" }]);
  });

  test("an election request from a higher peer gets no OK", () => {
    const b = bully("b", 2);
    b.setPeers([{ name: "c", rank: 3 }]);
    expect(b.onElectionRequest("c", 0)).toEqual([]);
  });

  test("the coordinator answers a lower peer's election by announcing again", () => {
    const c = bully("c", 3);
    c.setPeers([{ name: "a", rank: 1 }]);
    c.tick(0);
    expect(c.onElectionRequest("a", 10)).toEqual([
      { type: "reply-ok", to: "a" },
      { type: "announce", coordinator: "c" },
    ]);
  });

  test("announcements: higher accepted, own echo ignored, lower triggers an election", () => {
    const b = bully("b", 2);
    b.setPeers([{ name: "a", rank: 1 }, { name: "c", rank: 3 }]);
    expect(b.onAnnouncement("c", 0)).toEqual([{ type: "coordinator-changed", from: null, to: "c" }]);
    expect(b.onAnnouncement("c", 1)).toEqual([]);
    expect(b.onAnnouncement("b", 2)).toEqual([]);
    expect(b.onAnnouncement("a", 3)).toEqual([{ type: "send-election", to: ["c"] }]);
    expect(b.coordinator).toBe("c");
  });

  test("a coordinator accepted while unknown is challenged once the list shows it ranks lower", () => {
    const b = bully("b", 2);
    b.setPeers([]);
    b.onAnnouncement("x", 0);
    expect(b.coordinator).toBe("x");
    b.setPeers([{ name: "x", rank: 1 }]);
    expect(b.tick(10).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
    expect(b.coordinator).toBe("b");
  });

  test("the coordinator re-announces periodically", () => {
    const a = bully("a", 1);
    a.setPeers([]);
    a.tick(0);
    expect(a.tick(999)).toEqual([]);
    expect(a.tick(1000)).toEqual([{ type: "announce", coordinator: "a" }]);
    expect(a.tick(1500)).toEqual([]);
  });
});

describe("Bully cluster simulation", () => {
  test("three servers starting together agree on the highest", () => {
    const sim = new Sim(["a", "b", "c"]);
    sim.run(2000);
    expect(sim.agreed()).toBe("c");
  });

  test("coordinator killed: the next highest takes over", () => {
    const sim = new Sim(["a", "b", "c"]);
    sim.run(2000);
    sim.kill("c");
    sim.run(3000);
    expect(sim.agreed()).toBe("b");
  });

  test("two failures in a row", () => {
    const sim = new Sim(["a", "b", "c", "d"]);
    sim.run(2000);
    sim.kill("d");
    sim.run(3000);
    expect(sim.agreed()).toBe("c");
    sim.kill("c");
    sim.run(3000);
    expect(sim.agreed()).toBe("b");
  });

  test("two failures at once, the second just as the election starts", () => {
    const sim = new Sim(["a", "b", "c", "d"]);
    sim.run(2000);
    sim.kill("d");
    sim.run(320); // the election for d's replacement is under way
    sim.kill("c");
    sim.run(3000);
    expect(sim.agreed()).toBe("b");
  });

  test("a restarted higher-ranked server reclaims the role", () => {
    const sim = new Sim(["a", "b", "c"]);
    sim.run(2000);
    sim.kill("c");
    sim.run(3000);
    expect(sim.agreed()).toBe("b");
    sim.revive("c");
    sim.run(3000);
    expect(sim.agreed()).toBe("c");
    // every server saw the change back to c
    const last = new Map(sim.changes.map((ch) => [ch.node, ch.to]));
    expect([...last.values()]).toEqual(["c", "c", "c"]);
  });

  test("a lone survivor elects itself", () => {
    const sim = new Sim(["a", "b", "c"]);
    sim.run(2000);
    sim.kill("c");
    sim.kill("b");
    sim.run(3000);
    expect(sim.agreed()).toBe("a");
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])("lossy network (seed %d) still settles on exactly one coordinator", (seed) => {
    const sim = new Sim(["a", "b", "c", "d", "e"], seed);
    sim.dropRate = 0.4;
    sim.run(3000);
    sim.kill("e");
    sim.run(2000);
    sim.revive("e");
    sim.kill("d");
    sim.run(2000);
    sim.dropRate = 0;
    sim.run(4000);
    expect(sim.agreed()).toBe("e");
    for (const n of sim.alive()) expect(sim.nodes.get(n)!.state).toBe("idle");
  });
});

describe("Bully with a quorum", () => {
  const peers = [{ name: "a", rank: 1 }, { name: "b", rank: 2 }, { name: "c", rank: 3 }];
  function withQuorum(self: string, rank: number, quorum: { ok: boolean }) {
    const b = new Bully({ self, rank, ...TIMEOUTS, hasQuorum: () => quorum.ok });
    b.setPeers(peers);
    return b;
  }

  test("the highest server does not take the role without a majority, and takes it once it has one", () => {
    const q = { ok: false };
    const c = withQuorum("c", 3, q);
    expect(c.tick(0)).toEqual([{ type: "no-quorum" }]);
    expect(c.coordinator).toBeNull();
    expect(c.tick(100)).toEqual([]); // no new attempt before the election timeout
    q.ok = true;
    expect(c.tick(200).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
    expect(c.isCoordinator).toBe(true);
  });

  test("a coordinator that loses its majority steps down, and takes the role again once the majority is back", () => {
    const q = { ok: true };
    const c = withQuorum("c", 3, q);
    c.tick(0);
    expect(c.isCoordinator).toBe(true);
    q.ok = false;
    expect(c.tick(50)).toEqual([{ type: "stepped-down" }]);
    expect(c.coordinator).toBeNull();
    expect(c.tick(100)).toEqual([]);
    expect(c.tick(250)).toEqual([{ type: "no-quorum" }]);
    q.ok = true;
    expect(c.tick(450).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
  });

  test("the majority side elects its own coordinator while the cut-off one has stepped down: one coordinator", () => {
    const c2 = withQuorum("c", 3, { ok: false }); // c, cut off from a and b
    const b = withQuorum("b", 2, { ok: true }); // b, which hears from a
    b.onAnnouncement("c", 0);
    // c is cut off: b's election to c gets no OK, so b wins on its side; c2 (c's view) has no majority.
    expect(b.onCoordinatorMissing(10)).toEqual([{ type: "send-election", to: ["c"] }]);
    expect(b.tick(300).map((a) => a.type)).toEqual(["announce", "coordinator-changed"]);
    expect(c2.tick(300)).toEqual([{ type: "no-quorum" }]);
    expect([b.isCoordinator, c2.isCoordinator]).toEqual([true, false]);
  });
});
