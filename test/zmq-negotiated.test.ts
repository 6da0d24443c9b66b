/**
 * A bind that accepts several mechanisms (`mechanisms: [...]`): each
 * client, ours or libzmq's (pyzmq, zeromq.js), greets with NULL, PLAIN or
 * CURVE and is served with that mechanism on the same port, its PeerInfo
 * telling which; a mechanism not listed, a wrong password and an
 * unknown CURVE key are refused while the others keep working.
 * @module
 */
import { describe, expect, it } from "bun:test";
import { curveKeyPair, Reply, Request, type PeerInfo, type SocketOptions } from "../shared/zmq/index.ts";
import { PEER_KINDS, usePeers } from "./peers/command-peer.ts";

const server = curveKeyPair();
const client = curveKeyPair();
const stranger = curveKeyPair();

const CLIENTS: Record<string, SocketOptions> = {
  NULL: {},
  PLAIN: { plainUsername: "ana", plainPassword: "s3cret" },
  CURVE: { curveServerKey: server.publicKey, curveSecretKey: client.secretKey, curvePublicKey: client.publicKey },
};

/** What the server sees of each client. */
const WHO: Record<string, string> = { NULL: "NULL:", PLAIN: "PLAIN:ana", CURVE: "CURVE:member" };

/** A REP on one port open to NULL, PLAIN (ana/s3cret) and CURVE (the client key), echoing "<mechanism>:<user id>". */
async function negotiatedEcho(mechanisms: ("NULL" | "PLAIN" | "CURVE")[]): Promise<{ rep: Reply; endpoint: string; stop: () => void }> {
  const rep = new Reply({
    mechanisms,
    curveSecretKey: server.secretKey,
    authenticate: (r) =>
      r.mechanism === "PLAIN" ? r.username === "ana" && r.password === "s3cret" : r.clientPublicKey === client.publicKey ? { allow: true, userId: "member" } : false,
  });
  await rep.bind("tcp://127.0.0.1:0");
  let stopped = false;
  void (async () => {
    while (!stopped) {
      let got: { message: Buffer[]; peer: PeerInfo | null };
      try {
        got = await rep.receiveWithPeer();
      } catch {
        return;
      }
      await rep.send([`${got.peer?.mechanism}:${got.peer?.userId}`, ...got.message]);
    }
  })();
  return { rep, endpoint: rep.lastEndpoint!, stop: () => ((stopped = true), rep.close()) };
}

describe("a bind accepting NULL, PLAIN and CURVE", () => {
  const { peers, cleanup } = usePeers();

  it("serves our clients of each mechanism on one port, each seen as what it is", async () => {
    const srv = await negotiatedEcho(["NULL", "PLAIN", "CURVE"]);
    cleanup.push(srv.stop);
    for (const [mech, opts] of Object.entries(CLIENTS)) {
      const req = new Request({ ...opts, receiveTimeout: 5000 });
      cleanup.push(() => req.close());
      req.connect(srv.endpoint);
      await req.send("hi");
      const [who, body] = (await req.receive()).map(String);
      expect(body).toBe("hi");
      expect(who).toBe(WHO[mech]);
    }
  });

  for (const kind of PEER_KINDS) {
    it(`serves ${kind} clients of each mechanism on one port`, async () => {
      const srv = await negotiatedEcho(["NULL", "PLAIN", "CURVE"]);
      cleanup.push(srv.stop);
      for (const [mech, opts] of Object.entries(CLIENTS)) {
        const theirs = await peers.get(kind)!.socket("REQ", opts as Record<string, unknown>);
        cleanup.push(() => theirs.close());
        await theirs.connect(srv.endpoint);
        await theirs.send(["hi"]);
        const got = await theirs.recv(10_000);
        expect(got[1]).toBe(`hex:${Buffer.from("hi").toString("hex")}`);
        const who = Buffer.from(got[0]!.slice(4), "hex").toString();
        expect(who).toBe(WHO[mech]);
      }
    }, 30_000);
  }

  it("refuses an unlisted mechanism, a wrong password and an unknown key; the others still work", async () => {
    const srv = await negotiatedEcho(["NULL", "CURVE"]);
    cleanup.push(srv.stop);
    const errors: string[] = [];
    srv.rep.events.on("handshake:error", (e) => errors.push(e.error.message));
    const refused: SocketOptions[] = [
      CLIENTS.PLAIN!,
      { curveServerKey: server.publicKey, curveSecretKey: stranger.secretKey },
    ];
    for (const opts of refused) {
      const req = new Request({ ...opts, sendTimeout: 600 });
      cleanup.push(() => req.close());
      req.connect(srv.endpoint);
      await expect(req.send("hi")).rejects.toThrow();
    }
    expect(errors.some((m) => /peer uses "PLAIN", this endpoint accepts NULL, CURVE/.test(m))).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    const ok = new Request({ ...CLIENTS.CURVE, receiveTimeout: 5000 });
    cleanup.push(() => ok.close());
    ok.connect(srv.endpoint);
    await ok.send("still");
    expect((await ok.receive()).map(String)).toEqual(["CURVE:member", "still"]);
  });

  it("hands a CURVE client's metadata (X- properties, sent encrypted) to the authenticate hook", async () => {
    const seen: (string | undefined)[] = [];
    const rep = new Reply({
      mechanisms: ["NULL", "CURVE"],
      curveSecretKey: server.secretKey,
      authenticate: (r) => {
        seen.push(r.properties?.get("x-user"));
        return { allow: true, userId: r.properties?.get("x-user") ?? "" };
      },
    });
    cleanup.push(() => rep.close());
    await rep.bind("tcp://127.0.0.1:0");
    const req = new Request({ ...CLIENTS.CURVE, metadata: { "X-User": "ana" }, receiveTimeout: 5000 });
    cleanup.push(() => req.close());
    req.connect(rep.lastEndpoint!);
    await req.send("hi");
    const { peer } = await rep.receiveWithPeer();
    expect(seen).toEqual(["ana"]);
    expect(peer?.userId).toBe("ana");
    expect(() => new Request({ metadata: { User: "x" } })).toThrow(/X-/);
  });

  it("rejects a configuration it cannot serve", () => {
    expect(() => new Reply({ mechanisms: ["CURVE"] })).toThrow(/curveSecretKey/);
    expect(() => new Reply({ mechanisms: ["NULL", "PLAIN"] })).toThrow(/authenticate/);
    expect(() => new Reply({ mechanisms: ["NULL", "GSSAPI" as "NULL"] })).toThrow(/unknown mechanism/);
    expect(() => new Reply({ mechanisms: ["NULL", "CURVE"], curveSecretKey: server.secretKey, curveServerKey: server.publicKey })).toThrow(/accepting side/);
  });
});
