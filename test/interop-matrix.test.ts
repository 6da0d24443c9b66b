/**
 * The interop matrix: every pattern × libzmq peer kind (pyzmq, zeromq.js on
 * node) × which end is ours (client / server) × which end binds. One
 * long-lived peer process per kind serves every case over JSON lines.
 * Each case round-trips (or publishes) single and multipart messages with
 * empty frames and frames of 0, 255, 256 bytes and 1 MiB; two patterns
 * also carry a 16 MiB frame.
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Dealer, Publisher, Reply, Request, Router, Subscriber, ZmtpError, type ZSocket } from "../shared/zmq/index.ts";
import { CommandPeer, frameBytes, peerAvailable, PeerError, summary, type FrameSpec, type PeerKind, type PeerSocket } from "./peers/command-peer.ts";
import { exchangePubSub, expectedFrames } from "./peers/pubsub-exchange.ts";

type ClientType = "REQ" | "DEALER" | "PUB";
type ServerType = "REP" | "ROUTER" | "SUB";
interface Pattern {
  name: string;
  client: ClientType;
  server: ServerType;
}
interface Case {
  pattern: Pattern;
  kind: PeerKind;
  ours: "client" | "server";
  oursBinds: boolean;
  big: boolean;
}

const PATTERNS: Pattern[] = [
  { name: "REQ↔REP", client: "REQ", server: "REP" },
  { name: "REQ→ROUTER", client: "REQ", server: "ROUTER" },
  { name: "DEALER→REP", client: "DEALER", server: "REP" },
  { name: "DEALER↔ROUTER", client: "DEALER", server: "ROUTER" },
  { name: "PUB→SUB", client: "PUB", server: "SUB" },
];
const KINDS: PeerKind[] = ["pyzmq", "zeromq.js"];
const MiB = 1 << 20;

/** Bodies every case carries: single, multipart with empty frames, one empty frame, 255/256/1 MiB frames. */
const BODIES: FrameSpec[][] = [
  ["hello"],
  ["a", "", "b", ""],
  [""],
  [{ gen: 255 }, { gen: 256, seed: 1 }, { gen: MiB, seed: 2 }],
];
const BIG: FrameSpec[] = [{ gen: 16 * MiB, seed: 3 }];

const CASES: Case[] = [];
for (const pattern of PATTERNS)
  for (const kind of KINDS)
    for (const ours of ["client", "server"] as const)
      for (const oursBinds of [true, false]) {
        const big =
          (pattern.name === "REQ↔REP" && ours === "client" && !oursBinds) ||
          (pattern.name === "DEALER↔ROUTER" && ours === "server" && oursBinds);
        CASES.push({ pattern, kind, ours, oursBinds, big });
      }

const available = Object.fromEntries(KINDS.map((k) => [k, peerAvailable(k)])) as Record<PeerKind, boolean>;
const peers = new Map<PeerKind, CommandPeer>();

beforeAll(() => {
  for (const k of KINDS) if (available[k]) peers.set(k, new CommandPeer(k));
});
afterAll(() => {
  for (const p of peers.values()) p.kill();
});

function ourSocket(type: ClientType | ServerType): ZSocket {
  switch (type) {
    case "REQ":
      return new Request({ receiveTimeout: 10_000 });
    case "REP":
      return new Reply();
    case "DEALER":
      return new Dealer({ receiveTimeout: 10_000 });
    case "ROUTER":
      return new Router();
    case "PUB":
      return new Publisher();
    case "SUB":
      return new Subscriber({ receiveTimeout: 10_000 });
  }
}

/** What the client puts on the wire for a body: DEALER talking to REP adds the delimiter itself. */
function wire(p: Pattern, body: FrameSpec[]): FrameSpec[] {
  if (p.client === "DEALER" && p.server === "REP") return ["", ...body];
  if (p.client === "PUB") return ["t", ...body];
  return body;
}
const expected = expectedFrames;

/** Our echo server: REP and ROUTER send back exactly what they received. */
async function echo(s: ZSocket): Promise<void> {
  try {
    for await (const m of s) await s.send(m);
  } catch (e) {
    if (!(e instanceof ZmtpError && e.code === "ETERM")) throw e;
  }
}

async function runRequestCase(c: Case, ours: ZSocket, theirs: PeerSocket, bodies: FrameSpec[][]): Promise<void> {
  if (c.ours === "client") {
    await theirs.echo();
    for (const body of bodies) {
      const w = wire(c.pattern, body);
      await ours.send(w.map(frameBytes));
      expect((await ours.receive()).map(summary)).toEqual(expected(w));
    }
  } else {
    void echo(ours);
    for (const body of bodies) {
      const w = wire(c.pattern, body);
      await theirs.send(w);
      expect(await theirs.recv(10_000)).toEqual(expected(w));
    }
  }
}

async function runPubSubCase(c: Case, ours: ZSocket, theirs: PeerSocket, bodies: FrameSpec[][]): Promise<void> {
  const messages = bodies.flatMap((b) => [wire(c.pattern, b), ["u", "filtered out"]]);
  const { got, want } = await exchangePubSub(c.ours === "client", ours, theirs, messages, 10_000);
  expect(got).toEqual(want);
}

describe("interop matrix: ours ↔ libzmq", () => {
  // The reference peers are part of the test set-up (.ci/run installs them):
  // a missing one is a failure, not a reason to skip.
  it.each(KINDS)("the %s reference peer is installed", (kind) => {
    expect(available[kind]).toBe(true);
  });

  for (const c of CASES) {
    const title =
      `${c.pattern.name} ${c.kind}: ours=${c.ours === "client" ? c.pattern.client : c.pattern.server}` +
      ` ${c.oursBinds ? "binds" : "connects"}${c.big ? " +16MiB" : ""}`;
    it(
      title,
      async () => {
        const peer = peers.get(c.kind)!;
        const ourType = c.ours === "client" ? c.pattern.client : c.pattern.server;
        const theirType = c.ours === "client" ? c.pattern.server : c.pattern.client;
        const ours = ourSocket(ourType);
        const theirs = await peer.socket(theirType);
        try {
          if (c.oursBinds) {
            await ours.bind("tcp://127.0.0.1:0");
            await theirs.connect(ours.lastEndpoint!);
          } else {
            ours.connect(await theirs.bind());
          }
          const bodies = c.big ? [...BODIES, BIG] : BODIES;
          if (c.pattern.client === "PUB") await runPubSubCase(c, ours, theirs, bodies);
          else await runRequestCase(c, ours, theirs, bodies);
        } finally {
          ours.close();
          await theirs.close();
        }
      },
      30_000,
    );
  }
});
