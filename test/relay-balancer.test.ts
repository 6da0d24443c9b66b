/**
 * The broker's routing state machine with fake time: least-loaded dispatch
 * under a per-server bound, a frozen server leaving the rotation with its
 * requests answered by another, late replies dropped, foreign servers
 * without heartbeats judged by their answers, and the queue's bounds.
 */
import { describe, expect, it } from "bun:test";
import { Balancer, type BalancerAction } from "../shared/relay/balancer.ts";

const b = (s: string) => Buffer.from(s);
const empty = Buffer.alloc(0);
/** A REQ client's request as the broker's ROUTER reads it: `[id, "", body]`. */
const req = (client: string, body: string) => [b(client), empty, b(body)];
const sends = (acts: BalancerAction[]) => acts.filter((a) => a.type === "to-server") as Extract<BalancerAction, { type: "to-server" }>[];
const answers = (acts: BalancerAction[]) => acts.filter((a) => a.type === "to-client").map((a) => (a as { frames: Buffer[] }).frames.map(String));
/** What a REP/DEALER server sends back for a request it got: the envelope as it came, then the reply. */
const replyTo = (frames: Buffer[], text: string) => [...frames.slice(0, frames.findIndex((f) => f.length === 0)), empty, b(text)];

describe("Balancer", () => {
  it("sends each request to the least loaded server, tagged, and routes the reply back to its client", () => {
    const lb = new Balancer();
    lb.serverUp("s1", 0);
    lb.serverUp("s2", 0);
    const a = sends(lb.request(req("c1", "q1"), 0))[0]!;
    const c = sends(lb.request(req("c2", "q2"), 0))[0]!;
    expect(new Set([a.server, c.server])).toEqual(new Set(["s1", "s2"]));
    expect(a.frames.slice(1).map(String)).toEqual(["c1", "", "q1"]);
    expect(answers(lb.fromServer(c.server, replyTo(c.frames, "r2"), 5))).toEqual([["c2", "", "r2"]]);
    expect(answers(lb.fromServer(a.server, replyTo(a.frames, "r1"), 5))).toEqual([["c1", "", "r1"]]);
  });

  it("keeps a DEALER client's frames as it sent them (no delimiter)", () => {
    const lb = new Balancer();
    lb.serverUp("s1", 0);
    const s = sends(lb.request([b("d1"), b("body")], 0))[0]!;
    expect(s.frames.slice(1).map(String)).toEqual(["d1", "", "body"]);
    expect(answers(lb.fromServer("s1", replyTo(s.frames, "r"), 1))).toEqual([["d1", "r"]]);
  });

  it("bounds requests in flight per server and queues the rest until one answers", () => {
    const lb = new Balancer({ maxInFlight: 2 });
    lb.serverUp("s1", 0);
    const first = sends(lb.request(req("c1", "1"), 0));
    sends(lb.request(req("c2", "2"), 0));
    expect(sends(lb.request(req("c3", "3"), 0))).toEqual([]);
    expect(lb.size.queued).toBe(1);
    const acts = lb.fromServer("s1", replyTo(first[0]!.frames, "r1"), 1);
    expect(answers(acts)).toEqual([["c1", "", "r1"]]);
    expect(sends(acts).map((s) => s.frames.at(-1)!.toString())).toEqual(["3"]);
  });

  it("bounds the bytes in flight per server too (one request alone may exceed it)", () => {
    const lb = new Balancer({ maxInFlightBytes: 10 });
    lb.serverUp("s1", 0);
    const big = sends(lb.request(req("c1", "x".repeat(50)), 0));
    expect(big).toHaveLength(1); // alone: goes out whatever its size
    expect(sends(lb.request(req("c2", "12345678"), 0))).toEqual([]);
    const next = sends(lb.fromServer("s1", replyTo(big[0]!.frames, "r"), 1));
    expect(next.map((s) => s.frames.at(-1)!.toString())).toEqual(["12345678"]);
  });

  it("a heartbeating server that falls silent leaves the rotation; another answers what it held; its late reply is dropped", () => {
    const lb = new Balancer({ heartbeatTimeoutMs: 750 });
    lb.serverUp("s1", 0);
    lb.serverUp("s2", 0);
    lb.fromServer("s1", [b("HB")], 0);
    lb.fromServer("s2", [b("HB")], 0);
    const held = sends([...lb.request(req("c1", "q1"), 0), ...lb.request(req("c2", "q2"), 0)]);
    const frozen = held[0]!.server;
    const alive = frozen === "s1" ? "s2" : "s1";
    lb.fromServer(alive, [b("HB")], 700);
    const moved = sends(lb.tick(800));
    expect(moved.map((m) => m.server)).toEqual([alive]);
    expect(lb.size.inRotation).toBe(1);
    expect(answers(lb.fromServer(alive, replyTo(moved[0]!.frames, "from-alive"), 810))).toEqual([[String(held[0]!.frames[1]), "", "from-alive"]]);
    // The frozen server wakes up and answers the same request: the client already has its answer.
    const late = lb.fromServer(frozen, replyTo(held[0]!.frames, "late"), 900);
    expect(answers(late)).toEqual([]);
    expect(lb.size.inRotation).toBe(2); // but it is back in rotation
  });

  it("a server without heartbeats (another team's) leaves the rotation only when it holds requests and answers none", () => {
    const lb = new Balancer({ stallMs: 1000 });
    lb.serverUp("foreign", 0);
    lb.serverUp("ours", 0);
    lb.fromServer("ours", [b("HB")], 4900);
    expect(lb.tick(5000).filter((a) => a.type === "log")).toEqual([]); // the foreign one is idle: nothing to judge
    // Two requests: the least-loaded pick puts one on each.
    const first = sends(lb.request(req("c0", "q0"), 5000))[0]!;
    const second = sends(lb.request(req("c1", "q1"), 5000))[0]!;
    expect(new Set([first.server, second.server])).toEqual(new Set(["ours", "foreign"]));
    const toForeign = first.server === "foreign" ? first : second;
    const toOurs = first.server === "ours" ? first : second;
    lb.fromServer("ours", replyTo(toOurs.frames, "r0"), 5100);
    lb.fromServer("ours", [b("HB")], 5900);
    expect(sends(lb.tick(5900))).toEqual([]);
    lb.fromServer("ours", [b("HB")], 6100);
    const moved = sends(lb.tick(6100));
    expect(moved.map((m) => [m.server, m.frames.at(-1)!.toString()])).toEqual([["ours", toForeign.frames.at(-1)!.toString()]]);
  });

  it("a server that disconnects hands its requests to another; with none left they wait, then go out when one connects", () => {
    const lb = new Balancer();
    lb.serverUp("s1", 0);
    const s = sends(lb.request(req("c1", "q1"), 0))[0]!;
    expect(sends(lb.serverDown("s1", 5))).toEqual([]);
    expect(lb.size.queued).toBe(1);
    const out = sends(lb.serverUp("s2", 10));
    expect(out.map((o) => [o.server, o.frames.at(-1)!.toString()])).toEqual([["s2", "q1"]]);
    expect(out[0]!.frames[0]).toEqual(s.frames[0]!); // the same tag: whichever answer comes first wins
  });

  it("refuses at once past the queue's bounds, and after trying maxAttempts servers", () => {
    const lb = new Balancer({ maxQueued: 1, maxAttempts: 1, heartbeatTimeoutMs: 10 });
    expect(lb.request(req("c1", "q1"), 0)).toEqual([]);
    const refused = lb.request(req("c2", "q2"), 0);
    expect(refused.map((a) => a.type)).toEqual(["refuse"]);
    lb.serverUp("s1", 0);
    lb.fromServer("s1", [b("HB")], 0);
    const acts = lb.tick(20);
    expect(acts.some((a) => a.type === "refuse" && a.reason.includes("no answer from 1 servers"))).toBe(true);
  });
});
