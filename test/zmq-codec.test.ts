import { describe, expect, it } from "bun:test";
import {
  checkGreetingPrefix,
  commandFrame,
  encodeFrame,
  encodeGreeting,
  FLAG_MORE,
  FrameDecoder,
  parseCommand,
  parseGreeting,
  readyFrame,
  ZmtpError,
} from "../shared/zmq/index.ts";

function greeting(patch: (b: Buffer) => void): Buffer {
  const b = encodeGreeting();
  patch(b);
  return b;
}

describe("greeting", () => {
  it("encodes ZMTP 3.1 NULL as libzmq expects", () => {
    const g = encodeGreeting();
    expect(g.length).toBe(64);
    expect([...g.subarray(0, 12)]).toEqual([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1]);
    expect(g.subarray(12, 32).toString("latin1").replace(/\0+$/, "")).toBe("NULL");
  });

  const cases: [string, Buffer, string | null, number?][] = [
    ["valid 3.1", encodeGreeting(), null, 1],
    ["valid 3.0", greeting((b) => (b[11] = 0)), null, 0],
    ["libzmq padding (ff 00x7 01 7f)", greeting((b) => (b[8] = 1)), null, 1],
    ["version 4.0 accepted", greeting((b) => ((b[10] = 4), (b[11] = 0))), null, 0],
    ["truncated", encodeGreeting().subarray(0, 40), "EPROTO"],
    ["empty", Buffer.alloc(0), "EPROTO"],
    ["bad signature", greeting((b) => (b[0] = 0x47)), "EPROTO"],
    ["bad signature tail", greeting((b) => (b[9] = 0x00)), "EPROTO"],
    ["version 2", greeting((b) => (b[10] = 2)), "ECOMPAT"],
    ["mechanism mismatch", greeting((b) => b.write("CURVE", 12, "ascii")), "ECOMPAT"],
    ["mechanism not zero padded", greeting((b) => (b[20] = 0x41)), "EPROTO"],
  ];
  it.each(cases.map(([name, bytes, code, minor]) => ({ name, bytes, code, minor })))("$name", ({ bytes, code, minor }) => {
    if (code === null) {
      const g = parseGreeting(bytes);
      expect(g.mechanism).toBe("NULL");
      expect(g.minor).toBe(minor!);
    } else {
      let err: unknown;
      try {
        parseGreeting(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ZmtpError);
      expect((err as ZmtpError).code).toBe(code as any);
    }
  });

  it("rejects a bad prefix before the greeting is complete", () => {
    expect(() => checkGreetingPrefix(Buffer.from("GET "))).toThrow(ZmtpError);
    expect(() => checkGreetingPrefix(encodeGreeting().subarray(0, 11))).not.toThrow();
  });
});

interface Got {
  msgs: string[][];
  cmds: Buffer[];
}
function decoder(max = 1 << 20): [FrameDecoder, Got] {
  const got: Got = { msgs: [], cmds: [] };
  const d = new FrameDecoder(max, {
    onMessage: (p) => got.msgs.push(p.map((b) => b.toString("hex"))),
    onCommand: (b) => got.cmds.push(Buffer.from(b)),
  });
  return [d, got];
}

// deterministic PRNG so failures are reproducible
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000);
}

describe("frame decoder", () => {
  const sizes = [0, 1, 255, 256, 70000];
  const bodies = sizes.map((n, i) => Buffer.alloc(n, i + 1));
  const stream = Buffer.concat([
    readyFrame({ "Socket-Type": "DEALER", Identity: "abc" }),
    ...bodies.map((b) => encodeFrame(b)), // five single-part messages
    ...bodies.map((b, i) => encodeFrame(b, i < bodies.length - 1 ? FLAG_MORE : 0)), // one 5-part message
    commandFrame("PING", Buffer.from([0, 10, 1, 2])),
    encodeFrame(Buffer.alloc(3, 9)),
  ]);
  const expected = (() => {
    const [d, got] = decoder();
    d.push(stream);
    return got;
  })();

  it("decodes whole-buffer input", () => {
    expect(expected.msgs.length).toBe(7);
    expect(expected.msgs[5]!.length).toBe(5);
    expect(expected.msgs[5]!.map((h) => h.length / 2)).toEqual(sizes);
    expect(expected.cmds.length).toBe(2);
    expect(parseCommand(expected.cmds[0]!)).toMatchObject({ name: "READY" });
    const ready = parseCommand(expected.cmds[0]!) as { props: Map<string, Buffer> };
    expect(ready.props.get("socket-type")!.toString()).toBe("DEALER");
    expect(parseCommand(expected.cmds[1]!)).toMatchObject({ name: "PING", ttl: 10 });
  });

  it("decodes the same stream cut into random chunks (down to single bytes)", () => {
    const rand = rng(42);
    for (let round = 0; round < 40; round++) {
      const [d, got] = decoder();
      const maxChunk = round < 5 ? 1 : 1 + Math.floor(rand() * 3000);
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(rand() * maxChunk);
        d.push(stream.subarray(i, i + n));
        i += n;
      }
      expect(got).toEqual(expected);
      expect(d.idle).toBe(true);
    }
  });

  it("rejects an oversized frame from its header, before allocating", () => {
    const [d, got] = decoder(1000);
    const hdr = Buffer.from([0x02, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff]); // ~550 GB long frame
    expect(() => d.push(hdr)).toThrow(expect.objectContaining({ code: "EMSGSIZE" }));
    const [d2] = decoder(1000);
    expect(() => d2.push(encodeFrame(Buffer.alloc(1001)).subarray(0, 9))).toThrow(
      expect.objectContaining({ code: "EMSGSIZE" }),
    );
  });

  it("rejects a multipart message whose total exceeds the bound", () => {
    const [d, got] = decoder(1000);
    const parts = Buffer.concat([encodeFrame(Buffer.alloc(600), FLAG_MORE), encodeFrame(Buffer.alloc(600))]);
    expect(() => d.push(parts)).toThrow(expect.objectContaining({ code: "EMSGSIZE" }));
    expect(got.msgs.length).toBe(0);
  });

  it("random garbage only ever throws ZmtpError and never allocates past the bound", () => {
    const rand = rng(7);
    const max = 4096;
    const origAlloc = Buffer.allocUnsafe;
    let biggest = 0;
    (Buffer as any).allocUnsafe = (n: number) => {
      biggest = Math.max(biggest, n);
      return origAlloc(n);
    };
    try {
      for (let round = 0; round < 300; round++) {
        const [d] = decoder(max);
        const junk = Buffer.alloc(1 + Math.floor(rand() * 200));
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
        // bias some rounds toward valid-looking flag bytes
        if (round % 2 === 0) junk[0] = [0, 1, 2, 3, 4, 6][round % 6]!;
        try {
          for (let i = 0; i < junk.length; i += 7) d.push(junk.subarray(i, i + 7));
        } catch (e) {
          expect(e).toBeInstanceOf(ZmtpError);
        }
        try {
          parseCommand(junk);
        } catch (e) {
          expect(e).toBeInstanceOf(ZmtpError);
        }
      }
    } finally {
      (Buffer as any).allocUnsafe = origAlloc;
    }
    expect(biggest).toBeLessThanOrEqual(max);
  });

  it("rejects reserved flag bits and commands with MORE", () => {
    const [d] = decoder();
    expect(() => d.push(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toThrow(expect.objectContaining({ code: "EPROTO" }));
    const [d2] = decoder();
    expect(() => d2.push(Buffer.from([0x05, 1, 0]))).toThrow(expect.objectContaining({ code: "EPROTO" }));
  });
});

describe("commands", () => {
  it("bounds-checks READY metadata", () => {
    const good = readyFrame({ "Socket-Type": "REQ" }).subarray(2);
    expect(parseCommand(good)).toMatchObject({ name: "READY" });
    const bad = Buffer.from(good);
    bad.writeUInt32BE(0xffffff, 1 + 5 + 1 + 11); // value length far past the end
    expect(() => parseCommand(bad)).toThrow(expect.objectContaining({ code: "EPROTO" }));
    expect(() => parseCommand(Buffer.from([9, 0x53]))).toThrow(expect.objectContaining({ code: "EPROTO" }));
  });

  it("parses SUBSCRIBE/CANCEL/PING/PONG", () => {
    const body = (f: Buffer) => f.subarray(2);
    expect(parseCommand(body(commandFrame("SUBSCRIBE", Buffer.from("ab"))))).toMatchObject({ name: "SUBSCRIBE" });
    expect(parseCommand(body(commandFrame("CANCEL", Buffer.from("ab"))))).toMatchObject({ name: "CANCEL" });
    expect(() => parseCommand(body(commandFrame("PING", Buffer.from([1]))))).toThrow(ZmtpError);
    expect(parseCommand(body(commandFrame("PONG", Buffer.from("ctx"))))).toMatchObject({ name: "PONG" });
  });
});
