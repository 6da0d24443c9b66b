/**
 * Unit tests of the security layer's pure parts: Z85 (RFC 32 and the
 * zmq_curve test keys), key pairs and key files, the CURVE and PLAIN
 * handshake state machines fed good and bad commands, and the MESSAGE
 * codec (tampering, replay, reordering, bounds).
 * @module
 */
import { describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeProps } from "../shared/zmq/command.ts";
import { CurveClient } from "../shared/zmq/curve-client.ts";
import { CurveCodec, MESSAGE_OVERHEAD } from "../shared/zmq/curve-codec.ts";
import { CurveServer } from "../shared/zmq/curve-server.ts";
import { toVerdict } from "../shared/zmq/auth.ts";
import { commandBody, errorBody } from "../shared/zmq/mechanism.ts";
import { PlainClient, PlainServer, plainHello } from "../shared/zmq/plain.ts";
import {
  curveKeyPair,
  curvePublicKey,
  formatKeyFile,
  parseKeyFile,
  readKeyFile,
  writeKeyFile,
  z85Decode,
  z85Encode,
  ZmtpError,
  type ZmtpErrorCode,
} from "../shared/zmq/index.ts";
import { toKeyBytes } from "../shared/zmq/curve-keys.ts";

function throwsZmtp(f: () => unknown, code: ZmtpErrorCode, message?: RegExp): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ZmtpError);
  expect((err as ZmtpError).code).toBe(code);
  if (message) expect((err as ZmtpError).message).toMatch(message);
}

// zmq_curve(7) test keys: Z85 and hex of the same 32 bytes
const TEST_KEYS = {
  clientPublic: ["Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518"],
  clientSecret: ["D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs", "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888"],
  serverPublic: ["rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652"],
  serverSecret: ["JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6", "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7"],
} as const;

describe("Z85 (RFC 32)", () => {
  it("encodes and decodes the RFC's HelloWorld vector", () => {
    const bytes = Buffer.from("864FD26FB559F75B", "hex");
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect(z85Decode("HelloWorld").equals(bytes)).toBe(true);
  });

  it.each(Object.entries(TEST_KEYS))("round-trips the zmq_curve test key %s", (_name, [z85, hex]) => {
    expect(z85Decode(z85).toString("hex").toUpperCase()).toBe(hex);
    expect(z85Encode(Buffer.from(hex, "hex"))).toBe(z85);
  });

  it("round-trips random data, including all-zero and all-0xff groups", () => {
    for (const b of [Buffer.alloc(8), Buffer.alloc(8, 0xff), Buffer.from(crypto.getRandomValues(new Uint8Array(400)))]) {
      expect(z85Decode(z85Encode(b)).equals(b)).toBe(true);
    }
    expect(z85Encode(Buffer.alloc(0))).toBe("");
  });

  it.each([
    ["encode a length that is not a multiple of 4", () => z85Encode(new Uint8Array(5))],
    ["decode a length that is not a multiple of 5", () => z85Decode("Hello1")],
    ["decode a character outside the alphabet", () => z85Decode("Hell\"")],
    ["decode a non-ASCII character", () => z85Decode("Hellé")],
    ["decode a group above 2^32-1", () => z85Decode("#####")],
  ])("refuses to %s", (_what, f) => throwsZmtp(f, "EINVAL"));
});

describe("CURVE keys and key files", () => {
  it("derives the public key of the zmq_curve test secrets", () => {
    expect(curvePublicKey(TEST_KEYS.clientSecret[0])).toBe(TEST_KEYS.clientPublic[0]);
    expect(curvePublicKey(Buffer.from(TEST_KEYS.serverSecret[1], "hex"))).toBe(TEST_KEYS.serverPublic[0]);
  });

  it("generates distinct, consistent key pairs", () => {
    const a = curveKeyPair();
    const b = curveKeyPair();
    expect(a.publicKey).toHaveLength(40);
    expect(a.secretKey).not.toBe(b.secretKey);
    expect(curvePublicKey(a.secretKey)).toBe(a.publicKey);
  });

  it.each([
    ["a 39-character key", "x".repeat(39)],
    ["a 31-byte key", new Uint8Array(31)],
    ["a key with a bad character", '"'.repeat(40)],
  ])("refuses %s", (_what, k) => throwsZmtp(() => toKeyBytes(k as string, "key"), "EINVAL"));

  it("writes and reads back a secret and a public certificate", () => {
    const dir = mkdtempSync(join(tmpdir(), "zcert-"));
    const kp = curveKeyPair();
    writeKeyFile(join(dir, "srv.key_secret"), kp, { name: "server one", email: "ops@example.org" });
    writeKeyFile(join(dir, "srv.key"), { publicKey: kp.publicKey });
    expect(readKeyFile(join(dir, "srv.key_secret"))).toEqual({ ...kp, metadata: { name: "server one", email: "ops@example.org" } });
    expect(readKeyFile(join(dir, "srv.key"))).toEqual({ publicKey: kp.publicKey, metadata: {} });
    expect(statSync(join(dir, "srv.key_secret")).mode & 0o777).toBe(0o600);
    const text = readFileSync(join(dir, "srv.key_secret"), "utf8");
    expect(text).toContain(`    public-key = "${kp.publicKey}"\n    secret-key = "${kp.secretKey}"`);
  });

  it("reads the certificate text libzmq's tools write (bare and quoted values, comments)", () => {
    const text = [
      "#   ****  Generated on 2024-01-01 by a tool  ****",
      "#   ZeroMQ CURVE **Secret** Certificate",
      "",
      "metadata",
      "    name = bare value",
      "    quoted = 'single'",
      "curve",
      `    public-key = "${TEST_KEYS.serverPublic[0]}"`,
      `    secret-key = "${TEST_KEYS.serverSecret[0]}"`,
    ].join("\r\n");
    expect(parseKeyFile(text)).toEqual({
      publicKey: TEST_KEYS.serverPublic[0],
      secretKey: TEST_KEYS.serverSecret[0],
      metadata: { name: "bare value", quoted: "single" },
    });
  });

  it.each([
    ["no public key", "curve\n    secret-key = \"x\"\n"],
    ["a secret key of another pair", formatKeyFile({ publicKey: TEST_KEYS.clientPublic[0] }) + `    secret-key = "${TEST_KEYS.serverSecret[0]}"\n`],
    ["a malformed key", 'curve\n    public-key = "short"\n'],
    ["a value outside a section", 'public-key = "x"\n'],
    ["an unterminated quote", 'curve\n    public-key = "abc\n'],
    ["an unparsable line", "curve\n    ===\n"],
    ["more than 64 KiB", "#".repeat(70_000)],
  ])("refuses a key file with %s", (_what, text) => throwsZmtp(() => parseKeyFile(text), "EINVAL"));

  it("refuses to write a pair that does not match, or a value with a newline", () => {
    throwsZmtp(() => formatKeyFile({ publicKey: TEST_KEYS.clientPublic[0], secretKey: TEST_KEYS.serverSecret[0] }), "EINVAL");
    throwsZmtp(() => formatKeyFile({ publicKey: TEST_KEYS.clientPublic[0] }, { name: "a\nb" }), "EINVAL");
  });
});

const ALLOW = toVerdict(true, "");
const META_C = encodeProps({ "Socket-Type": "DEALER", Identity: "cli" });
const META_S = encodeProps({ "Socket-Type": "ROUTER" });

function curvePair() {
  const server = curveKeyPair();
  const client = curveKeyPair();
  const c = new CurveClient(
    { publicKey: toKeyBytes(client.publicKey, "k"), secretKey: toKeyBytes(client.secretKey, "k"), serverKey: toKeyBytes(server.publicKey, "k") },
    META_C,
  );
  const s = new CurveServer(toKeyBytes(server.secretKey, "k"), META_S, { domain: "d", address: "10.0.0.1" });
  return { c, s, client, server };
}

/** Run a handshake up to INITIATE; returns the commands exchanged. */
function toInitiate(c: CurveClient, s: CurveServer) {
  const [hello] = c.start();
  const [welcome] = s.onCommand(hello!).send;
  const [initiate] = c.onCommand(welcome!).send;
  return { hello: hello!, welcome: welcome!, initiate: initiate! };
}

function establish() {
  const p = curvePair();
  const cmds = toInitiate(p.c, p.s);
  const auth = p.s.onCommand(cmds.initiate);
  const ready = p.s.onVerdict(ALLOW);
  const done = p.c.onCommand(ready.send[0]!);
  return { ...p, ...cmds, auth, ready: ready.send[0]!, done };
}

const flip = (b: Buffer, i: number) => {
  const out = Buffer.from(b);
  out[i] = out[i]! ^ 1;
  return out;
};

function seal(codec: CurveCodec, flags: number, body: Buffer): Buffer {
  const out = Buffer.alloc(codec.sealedSize(body.length));
  expect(codec.sealInto(out, 0, flags, body)).toBe(out.length);
  return out;
}

describe("CURVE handshake (RFC 26)", () => {
  it("completes: sizes, metadata both ways, the authenticator request, keys learnt", () => {
    const h = establish();
    expect(h.hello.length).toBe(200);
    expect(h.welcome.length).toBe(168);
    expect(h.initiate.length).toBe(257 + META_C.length);
    expect(h.auth.peer!.get("identity")!.toString()).toBe("cli");
    expect(h.auth.auth).toEqual({ domain: "d", address: "10.0.0.1", mechanism: "CURVE", identity: "cli", clientPublicKey: h.client.publicKey });
    expect(h.ready.subarray(0, 6).toString("latin1")).toBe("\x05READY");
    expect(h.done.done).toBe(true);
    expect(h.done.peer!.get("socket-type")!.toString()).toBe("ROUTER");
    expect(h.s.peerPublicKey).toBe(h.client.publicKey);
    expect(h.c.peerPublicKey).toBe(h.server.publicKey);
  });

  it("carries MESSAGEs both ways with MORE/COMMAND flags, large and empty bodies", () => {
    const { c, s } = establish();
    for (const [from, to] of [[c.codec!, s.codec!], [s.codec!, c.codec!]] as const) {
      for (const [flags, body] of [[1, Buffer.from("part")], [0, Buffer.alloc(0)], [4, commandBody("PING", Buffer.from([0, 10]))], [0, Buffer.alloc(1 << 20, 9)]] as const) {
        const got = to.open(seal(from, flags, body));
        expect(got.flags).toBe(flags);
        expect(got.body.equals(body)).toBe(true);
      }
    }
    expect(seal(c.codec!, 0, Buffer.from("x")).subarray(0, 8).toString("latin1")).toBe("\x07MESSAGE");
  });

  it("refuses replayed, reordered, tampered, truncated and foreign MESSAGEs", () => {
    const { c, s } = establish();
    const m1 = seal(c.codec!, 0, Buffer.from("one"));
    const m2 = seal(c.codec!, 0, Buffer.from("two"));
    const replay = Buffer.from(m2);
    const late = Buffer.from(m1);
    s.codec!.open(m2);
    throwsZmtp(() => s.codec!.open(replay), "EPROTO", /replayed or reordered/);
    throwsZmtp(() => s.codec!.open(late), "EPROTO", /replayed or reordered/);
    const m3 = seal(c.codec!, 0, Buffer.from("three"));
    throwsZmtp(() => s.codec!.open(flip(m3, m3.length - 1)), "EPROTO", /does not open/);
    throwsZmtp(() => s.codec!.open(m3.subarray(0, MESSAGE_OVERHEAD - 1)), "EPROTO", /truncated/);
    throwsZmtp(() => s.codec!.open(Buffer.from("\x05HELLO" + "x".repeat(40))), "EPROTO", /expected a MESSAGE/);
    // a server MESSAGE echoed back to the server: wrong nonce prefix, so it never opens
    throwsZmtp(() => s.codec!.open(seal(s.codec!, 0, Buffer.from("mine")).fill(0xff, 8, 16)), "EPROTO");
  });

  it.each([
    ["a short HELLO", (h: Buffer) => h.subarray(0, 199), /HELLO of 199 bytes/],
    ["a HELLO of version 2.0", (h: Buffer) => Buffer.concat([h.subarray(0, 6), Buffer.from([2, 0]), h.subarray(8)]), /version 2.0/],
    ["a HELLO whose box was tampered with", (h: Buffer) => flip(h, 150), /does not open/],
    ["a HELLO with a changed short key", (h: Buffer) => flip(h, 90), /does not open/],
    ["an INITIATE first", () => commandBody("INITIATE", Buffer.alloc(300)), /unexpected INITIATE/],
    ["a WELCOME (another server)", () => commandBody("WELCOME", Buffer.alloc(160)), /CURVE server too/],
    ["a truncated command", () => Buffer.from([9, 65]), /truncated command name/],
  ])("server refuses %s", (_what, edit, message) => {
    const { c, s } = curvePair();
    throwsZmtp(() => s.onCommand(edit(c.start()[0]!)), "EPROTO", message);
  });

  it("server refuses a HELLO sealed for another server key", () => {
    const a = curvePair();
    const b = curvePair();
    throwsZmtp(() => b.s.onCommand(a.c.start()[0]!), "EPROTO", /wrong server key/);
  });

  it.each([
    ["a truncated INITIATE", (i: Buffer) => i.subarray(0, 256), /truncated INITIATE/],
    ["a forged cookie", (i: Buffer) => flip(i, 40), /cookie is not ours/],
    ["an INITIATE nonce that does not follow HELLO's", (i: Buffer) => Buffer.concat([i.subarray(0, 105), Buffer.alloc(8), i.subarray(113)]), /nonce/],
    ["a tampered INITIATE box", (i: Buffer) => flip(i, i.length - 3), /INITIATE box does not open/],
  ])("server refuses %s", (_what, edit, message) => {
    const { c, s } = curvePair();
    const { initiate } = toInitiate(c, s);
    throwsZmtp(() => s.onCommand(edit(initiate)), "EPROTO", message);
  });

  it("server refuses a second INITIATE, and commands while the authenticator decides", () => {
    const { c, s } = curvePair();
    const { initiate } = toInitiate(c, s);
    s.onCommand(initiate);
    throwsZmtp(() => s.onCommand(initiate), "EPROTO", /while authenticating/);
  });

  it.each([
    ["a WELCOME of the wrong size", (w: Buffer) => w.subarray(0, 167), /WELCOME of 167 bytes/],
    ["a tampered WELCOME", (w: Buffer) => flip(w, 100), /wrong server key/],
    ["a HELLO (another client)", () => curvePair().c.start()[0]!, /CURVE client too/],
    ["READY before WELCOME", () => commandBody("READY", Buffer.alloc(30)), /unexpected READY/],
  ])("client refuses %s", (_what, edit, message) => {
    const { c, s } = curvePair();
    const [hello] = c.start();
    const [welcome] = s.onCommand(hello!).send;
    throwsZmtp(() => c.onCommand(edit(welcome!)), "EPROTO", message);
  });

  it("client refuses a tampered or truncated READY", () => {
    for (const edit of [(r: Buffer) => flip(r, 20), (r: Buffer) => r.subarray(0, 29)]) {
      const { c, s } = curvePair();
      const { initiate } = toInitiate(c, s);
      s.onCommand(initiate);
      const [ready] = s.onVerdict(ALLOW).send;
      throwsZmtp(() => c.onCommand(edit(ready!)), "EPROTO", /READY/);
    }
  });

  it("a denial sends ERROR with the ZAP status code; the client reports EACCES", () => {
    const { c, s } = curvePair();
    const { initiate } = toInitiate(c, s);
    s.onCommand(initiate);
    const denied = s.onVerdict(toVerdict({ allow: false, statusCode: 400, statusText: "unknown key" }, ""));
    expect(denied.send[0]!.equals(errorBody("400"))).toBe(true);
    expect(denied.fail!.code).toBe("EACCES");
    expect(denied.fail!.message).toContain("unknown key");
    throwsZmtp(() => c.onCommand(denied.send[0]!), "EACCES", /status 400/);
    const other = curvePair();
    other.c.start();
    throwsZmtp(() => other.c.onCommand(errorBody("Invalid socket type")), "ECOMPAT", /Invalid socket type/);
  });
});

describe("PLAIN handshake (RFC 24)", () => {
  const server = () => new PlainServer(META_S, { domain: "", address: "1.2.3.4", identity: "" });

  it("completes: HELLO → authenticator → WELCOME → INITIATE → READY", () => {
    const c = new PlainClient("alice", "s3cret", META_C);
    const s = server();
    const hello = s.onCommand(c.start()[0]!);
    expect(hello.auth).toMatchObject({ mechanism: "PLAIN", username: "alice", password: "s3cret", address: "1.2.3.4" });
    const welcome = s.onVerdict(ALLOW);
    const [initiate] = c.onCommand(welcome.send[0]!).send;
    const ready = s.onCommand(initiate!);
    expect(ready.done).toBe(true);
    expect(ready.peer!.get("identity")!.toString()).toBe("cli");
    const done = c.onCommand(ready.send[0]!);
    expect(done.done).toBe(true);
    expect(done.peer!.get("socket-type")!.toString()).toBe("ROUTER");
  });

  it.each([
    ["trailing bytes after the password", Buffer.concat([plainHello("a", "b"), Buffer.from("x")])],
    ["a user name longer than the command", commandBody("HELLO", Buffer.from([9, 65]))],
    ["no password", commandBody("HELLO", Buffer.from([1, 65]))],
    ["an empty HELLO", commandBody("HELLO")],
    ["a WELCOME (another server)", commandBody("WELCOME")],
  ])("server refuses a HELLO with %s", (_what, body) => throwsZmtp(() => server().onCommand(body), "EPROTO"));

  it("client refuses a WELCOME with data, and reports a denial as EACCES", () => {
    const c = new PlainClient("a", "b", META_C);
    c.start();
    throwsZmtp(() => c.onCommand(commandBody("WELCOME", Buffer.from("x"))), "EPROTO", /malformed WELCOME/);
    throwsZmtp(() => new PlainClient("a", "b", META_C).onCommand(errorBody("400")), "EACCES");
    throwsZmtp(() => plainHello("x".repeat(256), ""), "EINVAL");
  });
});
