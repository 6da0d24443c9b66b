/**
 * CURVE and PLAIN against libzmq, both builds (pyzmq and zeromq.js): every
 * pattern (REQ↔REP, DEALER↔ROUTER, PUB→SUB) × mechanism × which end is the
 * security server (ours or theirs) × which end binds. The server end is
 * REP, ROUTER or PUB; libzmq authenticates through its ZAP handler, ours
 * through the `authenticate` hook, and our server checks the user id it
 * learnt on every message. Bodies: single, multipart with empty frames,
 * 255/256-byte and 1 MiB frames; one case per peer adds an 8 MiB frame.
 * @module
 */
import { beforeAll, describe, expect, it } from "bun:test";
import {
  curveKeyPair,
  Dealer,
  Publisher,
  Reply,
  Request,
  Router,
  Subscriber,
  ZmtpError,
  type SocketOptions,
  type ZSocket,
} from "../shared/zmq/index.ts";
import { frameBytes, peerAvailable, PEER_KINDS, PeerError, summary, usePeers, type FrameSpec, type PeerKind, type PeerSocket } from "./peers/command-peer.ts";
import { exchangePubSub, expectedFrames } from "./peers/pubsub-exchange.ts";

type Mech = "CURVE" | "PLAIN";
interface Pattern {
  name: string;
  client: "REQ" | "DEALER" | "SUB";
  server: "REP" | "ROUTER" | "PUB";
}
interface Case {
  mech: Mech;
  pattern: Pattern;
  kind: PeerKind;
  ours: "client" | "server";
  oursBinds: boolean;
  big: boolean;
}

const PATTERNS: Pattern[] = [
  { name: "REQ↔REP", client: "REQ", server: "REP" },
  { name: "DEALER↔ROUTER", client: "DEALER", server: "ROUTER" },
  { name: "SUB←PUB", client: "SUB", server: "PUB" },
];
const MiB = 1 << 20;
const BODIES: FrameSpec[][] = [["hello"], ["a", "", "b", ""], [{ gen: 255 }, { gen: 256, seed: 1 }, { gen: MiB, seed: 2 }]];
const BIG: FrameSpec[] = [{ gen: 8 * MiB, seed: 3 }];

const server = curveKeyPair();
const client = curveKeyPair();
const USER = "alice";
const PASSWORD = "wonderland";
/** The user id our server must see for the legitimate client. */
const EXPECTED_USER: Record<Mech, string> = { CURVE: "client-1", PLAIN: USER };

const CASES: Case[] = [];
for (const mech of ["CURVE", "PLAIN"] as const)
  for (const pattern of PATTERNS)
    for (const kind of PEER_KINDS)
      for (const ours of ["client", "server"] as const)
        for (const oursBinds of [true, false]) {
          const big = mech === "CURVE" && pattern.name === "REQ↔REP" && ours === "client" && !oursBinds;
          CASES.push({ mech, pattern, kind, ours, oursBinds, big });
        }

const { peers, cleanup } = usePeers();
beforeAll(async () => {
  for (const p of peers.values()) await p.zap({ allowKeys: [client.publicKey], users: { [USER]: PASSWORD } });
});

function ourOptions(mech: Mech, role: "client" | "server"): SocketOptions {
  if (mech === "CURVE") {
    return role === "server"
      ? {
          curveServer: true,
          curveSecretKey: server.secretKey,
          authenticate: (r) => (r.clientPublicKey === client.publicKey ? { allow: true, userId: "client-1" } : { allow: false }),
        }
      : { curveServerKey: server.publicKey, curveSecretKey: client.secretKey, curvePublicKey: client.publicKey };
  }
  return role === "server"
    ? { plainServer: true, authenticate: (r) => r.username === USER && r.password === PASSWORD }
    : { plainUsername: USER, plainPassword: PASSWORD };
}

/** Their socket options: the same names, since both peers take zeromq.js's. */
function theirOptions(mech: Mech, role: "client" | "server"): Record<string, unknown> {
  if (mech === "CURVE") {
    return role === "server" ? { curveServer: true, curveSecretKey: server.secretKey } : { curveServerKey: server.publicKey, curveSecretKey: client.secretKey, curvePublicKey: client.publicKey };
  }
  return role === "server" ? { plainServer: true } : { plainUsername: USER, plainPassword: PASSWORD };
}

function ourSocket(type: Pattern["client"] | Pattern["server"], opts: SocketOptions): ZSocket {
  const o = { ...opts, receiveTimeout: 15_000 };
  switch (type) {
    case "REQ":
      return new Request(o);
    case "REP":
      return new Reply(o);
    case "DEALER":
      return new Dealer(o);
    case "ROUTER":
      return new Router(o);
    case "PUB":
      return new Publisher(opts);
    case "SUB":
      return new Subscriber(o);
  }
}

const expected = expectedFrames;

/** Our REP/ROUTER echo, checking each message came from the authenticated client. */
async function echoChecked(s: ZSocket, seen: string[]): Promise<void> {
  try {
    for (;;) {
      const { message, peer } = await s.receiveWithPeer();
      seen.push(`${peer?.mechanism}:${peer?.userId}`);
      await s.send(message);
    }
  } catch (e) {
    if (!(e instanceof ZmtpError && e.code === "ETERM")) throw e;
  }
}

async function requestCase(c: Case, ours: ZSocket, theirs: PeerSocket, bodies: FrameSpec[][]): Promise<void> {
  if (c.ours === "client") {
    await theirs.echo();
    for (const body of bodies) {
      await ours.send(body.map(frameBytes));
      expect((await ours.receive()).map(summary)).toEqual(expected(body));
    }
    return;
  }
  const seen: string[] = [];
  void echoChecked(ours, seen);
  for (const body of bodies) {
    await theirs.send(body);
    expect(await theirs.recv(15_000)).toEqual(expected(body));
  }
  expect(new Set(seen)).toEqual(new Set([`${c.mech}:${EXPECTED_USER[c.mech]}`]));
}

async function pubSubCase(c: Case, ours: ZSocket, theirs: PeerSocket, bodies: FrameSpec[][]): Promise<void> {
  const messages = bodies.flatMap((b) => [["t", ...b], ["u", "filtered out"]]);
  const { got, want } = await exchangePubSub(c.ours === "server", ours, theirs, messages, 15_000);
  expect(got).toEqual(want);
}

describe("CURVE and PLAIN interop: ours ↔ libzmq", () => {
  // The reference peers are part of the test set-up: missing ones, or a libzmq without CURVE, fail the run.
  it.each(PEER_KINDS)("the %s reference peer is installed, with CURVE", (kind) => {
    expect(peerAvailable(kind)).toBe(true);
    const probe =
      kind === "pyzmq"
        ? Bun.spawnSync(["/usr/bin/python3", "-c", "import zmq,sys; sys.exit(0 if zmq.has('curve') else 1)"])
        : Bun.spawnSync(["node", "-e", "process.exit(require('zeromq').capability.curve ? 0 : 1)"], { cwd: `${import.meta.dir}/..` });
    expect(probe.exitCode).toBe(0);
  });

  for (const c of CASES) {
    const ourType = c.ours === "client" ? c.pattern.client : c.pattern.server;
    const title = `${c.mech} ${c.pattern.name} ${c.kind}: ours=${ourType} (${c.ours}) ${c.oursBinds ? "binds" : "connects"}${c.big ? " +8MiB" : ""}`;
    it(
      title,
      async () => {
        const theirRole = c.ours === "client" ? "server" : "client";
        const theirType = c.ours === "client" ? c.pattern.server : c.pattern.client;
        const ours = ourSocket(ourType, ourOptions(c.mech, c.ours));
        cleanup.push(() => ours.close());
        const theirs = await peers.get(c.kind)!.socket(theirType, theirOptions(c.mech, theirRole));
        cleanup.push(() => theirs.close());
        if (c.oursBinds) {
          await ours.bind("tcp://127.0.0.1:0");
          await theirs.connect(ours.lastEndpoint!);
        } else ours.connect(await theirs.bind());
        const bodies = c.big ? [...BODIES, BIG] : BODIES;
        if (c.pattern.server === "PUB") await pubSubCase(c, ours, theirs, bodies);
        else await requestCase(c, ours, theirs, bodies);
        expect(ours.connectedPeers().map((p) => p.mechanism)).toEqual([c.mech]);
      },
      30_000,
    );
  }
});
