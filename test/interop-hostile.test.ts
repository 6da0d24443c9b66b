/**
 * Bad input while a libzmq peer is being served. A raw TCP client sends
 * garbage, an HTTP request line, a wrong greeting, an oversized frame, or
 * hangs up mid-greeting / mid-frame. Our socket must close that connection
 * (by itself, where the hostile client keeps the line open), keep answering
 * the libzmq peer, and never throw out of its receive loop. Also: a hostile
 * server among the endpoints our DEALER connects to is dropped and redialled
 * while the DEALER keeps talking to its libzmq peer.
 * @module
 */
import { describe, expect, it } from "bun:test";
import type { Socket } from "bun";
import { Dealer, encodeFrame, encodeGreeting, readyFrame, Reply, Router, type ZSocket } from "../shared/zmq/index.ts";
import { PEER_KINDS, usePeers, text, type PeerKind, type PeerSocket } from "./peers/command-peer.ts";

const KINDS = PEER_KINDS;
const { peers, cleanup } = usePeers();
const MAX = 64 * 1024;

function greetingWith(edit: (g: Buffer) => void): Buffer {
  const g = encodeGreeting();
  edit(g);
  return g;
}
function longHeader(len: number, more = false): Buffer {
  const h = Buffer.alloc(9);
  h[0] = 2 | (more ? 1 : 0);
  h.writeBigUInt64BE(BigInt(len), 1);
  return h;
}

interface Hostile {
  name: string;
  /** Bytes to send, given the socket type a compatible peer announces. */
  bytes: (peerType: string) => Buffer;
  /** True: the client hangs up after sending; false: it waits for us to close. */
  hangUp: boolean;
}
const handshake = (t: string) => Buffer.concat([encodeGreeting(), readyFrame({ "Socket-Type": t })]);
const HOSTILE: Hostile[] = [
  { name: "garbage bytes", bytes: () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 5) & 0x7f)), hangUp: false },
  { name: "an HTTP request line", bytes: () => Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), hangUp: false },
  { name: "a ZMTP 2.0 greeting", bytes: () => greetingWith((g) => (g[10] = 2)), hangUp: false },
  { name: "a CURVE greeting", bytes: () => greetingWith((g) => g.write("CURVE\0", 12, "ascii")), hangUp: false },
  { name: "a frame past maxMessageSize", bytes: (t) => Buffer.concat([handshake(t), longHeader(MAX * 16), Buffer.alloc(100)]), hangUp: false },
  { name: "a multipart message past maxMessageSize", bytes: (t) => Buffer.concat([handshake(t), encodeFrame(Buffer.alloc(MAX - 10), 1), longHeader(MAX)]), hangUp: false },
  { name: "a wrong socket type in READY", bytes: () => handshake("PUB"), hangUp: false },
  { name: "a hang-up mid-greeting", bytes: () => encodeGreeting().subarray(0, 20), hangUp: true },
  { name: "a hang-up mid-frame", bytes: (t) => Buffer.concat([handshake(t), longHeader(1000), Buffer.alloc(10)]), hangUp: true },
];

interface Target {
  ours: "REP" | "ROUTER";
  legit: { kind: PeerKind; type: "REQ" | "DEALER" };
}
const TARGETS: Target[] = [
  { ours: "REP", legit: { kind: "pyzmq", type: "REQ" } },
  { ours: "ROUTER", legit: { kind: "zeromq.js", type: "DEALER" } },
];

/** Connect a raw client, send `bytes`, resolve when the connection is closed; reports who closed it. */
async function assault(port: number, bytes: Buffer, hangUp: boolean): Promise<{ closedByUs: boolean; received: number }> {
  let hungUp = false;
  let received = 0;
  return new Promise((resolve, reject) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s: Socket) {
          s.write(bytes);
          if (hangUp) {
            hungUp = true;
            s.end();
          }
        },
        data(_s, d) {
          received += d.length;
        },
        close: () => resolve({ closedByUs: !hungUp, received }),
        end: () => resolve({ closedByUs: !hungUp, received }),
        error: () => resolve({ closedByUs: !hungUp, received }),
      },
    }).catch(reject);
  });
}

describe("hostile peers next to a libzmq peer", () => {
  for (const t of TARGETS)
    for (const h of HOSTILE) {
      it(`our ${t.ours} survives ${h.name} and keeps serving ${t.legit.kind} ${t.legit.type}`, async () => {
        const ours: ZSocket = t.ours === "REP" ? new Reply({ maxMessageSize: MAX }) : new Router({ maxMessageSize: MAX });
        cleanup.push(() => ours.close());
        await ours.bind("tcp://127.0.0.1:0");
        let loopError: unknown = null;
        const loop = (async () => {
          for await (const m of ours) await ours.send([...m, "ok"]);
        })().catch((e) => (loopError = e));

        const legit: PeerSocket = await peers.get(t.legit.kind)!.socket(t.legit.type);
        cleanup.push(() => legit.close());
        await legit.connect(ours.lastEndpoint!);
        const roundTrip = async (body: string) => {
          const frames = t.legit.type === "DEALER" ? ["", body] : [body];
          await legit.send(frames);
          expect((await legit.recv(10_000)).map(text)).toEqual([...frames, "ok"]);
        };
        await roundTrip("before");

        const port = Number(ours.lastEndpoint!.split(":").at(-1));
        const peerType = t.ours === "REP" ? "REQ" : "DEALER";
        const [r] = await Promise.all([assault(port, h.bytes(peerType), h.hangUp), roundTrip("during")]);
        expect(r.closedByUs).toBe(!h.hangUp);
        await roundTrip("after");
        expect(ours.closed).toBe(false);
        expect(loopError).toBeNull();
        ours.close();
        await loop;
        expect(loopError).toBeNull();
      }, 20_000);
    }

  for (const kind of KINDS) {
    it(`our DEALER drops and redials a garbage-sending server while talking to ${kind} REP`, async () => {
      let accepted = 0;
      const hostile = Bun.listen({
        hostname: "127.0.0.1",
        port: 0,
        socket: {
          open(s) {
            accepted++;
            s.write(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
          },
          data() {},
        },
      });
      cleanup.push(() => hostile.stop(true));
      const rep = await peers.get(kind)!.socket("REP");
      cleanup.push(() => rep.close());
      await rep.echo();
      const dealer = new Dealer({ receiveTimeout: 10_000, reconnectInterval: 20 });
      cleanup.push(() => dealer.close());
      dealer.connect(`tcp://127.0.0.1:${hostile.port}`);
      dealer.connect(await rep.bind());
      for (let i = 0; i < 5; i++) {
        await dealer.send(["", `n${i}`]);
        expect((await dealer.receive()).map(String)).toEqual(["", `n${i}`]);
      }
      while (accepted < 3) await Bun.sleep(10); // closed and redialled, repeatedly
    }, 20_000);
  }
});
