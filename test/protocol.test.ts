import { describe, expect, it } from "bun:test";
import { CodecError, decode, encode } from "../shared/wire/codec.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import {
  errorReply,
  makeReply,
  toMillis,
  MAX_TEXT_BYTES,
} from "../shared/wire/protocol.ts";
import { parseRequest, validateName } from "../shared/wire/validate.ts";
import { resolveEndpoints, toEndpoint, ConfigError } from "../shared/roles/endpoints.ts";
import { createLogger } from "../shared/roles/log.ts";

describe("codec", () => {
  it("writes every integer as an integer type, whatever its width", () => {
    // 1.733e12 ms: uint64/int64 (0xd3 or 0xcf), never float64 (0xcb); fractions stay floats
    expect(encode(1_733_000_000_000).toString("hex")).toBe("d3000001937ed97200");
    expect(encode(-5_000_000_000)[0]).toBe(0xd3);
    expect(encode(2 ** 32)[0]).toBe(0xd3);
    expect(encode(0xffffffff)[0]).toBe(0xce);
    expect(encode(1.5)[0]).toBe(0xcb);
    const msg = { data: { timestamp: 1_733_000_000_000, list: [{ rank: 2 ** 40 }] } };
    expect(decode(encode(msg))).toEqual(msg);
    expect(msg.data.timestamp).toBe(1_733_000_000_000); // the caller's value is left as it was
  });

  it("round-trips a request map", () => {
    const msg = { service: "publish", data: { user: "ana", channel: "geral", message: "olá ✓", timestamp: 1.7e12, clock: 42 } };
    expect(decode(encode(msg))).toEqual(msg);
  });

  it("writes plain MessagePack maps (fixmap, no records)", () => {
    expect(encode({ a: 1 }).toString("hex")).toBe("81a16101");
  });

  it("is read by a plain MessagePack library (python3-msgpack)", () => {
    const buf = encode({ service: "login", data: { user: "ana", clock: 1, timestamp: 1700000000000 } });
    const p = Bun.spawnSync(["/usr/bin/python3", "-c", "import msgpack,sys,json; print(json.dumps(msgpack.unpackb(sys.stdin.buffer.read()), sort_keys=True))"], { stdin: buf });
    expect(p.exitCode).toBe(0);
    expect(JSON.parse(p.stdout.toString())).toEqual({ service: "login", data: { user: "ana", clock: 1, timestamp: 1700000000000 } });
  });

  it("decodes what python3-msgpack writes", () => {
    const p = Bun.spawnSync(["/usr/bin/python3", "-c", "import msgpack,sys; sys.stdout.buffer.write(msgpack.packb({'service':'users','data':{'clock':3,'timestamp':1.5}}))"]);
    expect(p.exitCode).toBe(0);
    expect(decode(p.stdout)).toEqual({ service: "users", data: { clock: 3, timestamp: 1.5 } });
  });

  const garbage: Array<[string, number[]]> = [
    ["empty", []],
    ["reserved byte 0xc1", [0xc1]],
    ["truncated map", [0x82, 0xa1]],
    ["trailing bytes", [0x01, 0x02]],
    ["unknown extension", [0xd4, 0x05, 0x01]],
    ["huge array header", [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ["huge string header", [0xdb, 0xff, 0xff, 0xff, 0xff]],
    ["33 nested arrays", [...Array(33).fill(0x91), 0x01]],
    ["200k nested arrays", [...Array(200_000).fill(0x91), 0x01]],
  ];
  it.each(garbage)("rejects %s with CodecError", (_name, bytes) => {
    expect(() => decode(Buffer.from(bytes))).toThrow(CodecError);
  });

  it("accepts 31 nested arrays", () => {
    expect(() => decode(Buffer.from([...Array(31).fill(0x91), 0x01]))).not.toThrow();
  });

  it("never throws anything but CodecError on random bytes", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: 1 + (i % 40) }, rnd));
      try {
        decode(buf);
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
      }
    }
  });
});

describe("LamportClock", () => {
  it("ticks before send and merges with max", () => {
    const c = new LamportClock();
    expect(c.tick()).toBe(1);
    expect(c.merge(10)).toBe(10);
    expect(c.tick()).toBe(11);
    expect(c.merge(3)).toBe(11);
  });
  it.each([[-1], [1.5], ["20"], [null], [undefined], [NaN], [Infinity], [2n ** 70n]])("ignores %p", (v) => {
    const c = new LamportClock(5);
    expect(c.merge(v)).toBe(5);
  });
});

describe("validateName", () => {
  it.each([
    ["a", null],
    ["x".repeat(64), null],
    ["ü".repeat(64), null],
    ["my channel", null],
  ])("accepts %p", (s, want) => expect(validateName("user", s)).toBe(want));
  it.each([
    ["", "empty"],
    ["x".repeat(65), "longer"],
    ["a\u0000b", "control"],
    ["a\nb", "control"],
    [" ana", "whitespace"],
    ["ana ", "whitespace"],
    ["servers", "reserved"],
    ["replication", "reserved"],
    ["$internal", "reserved"],
  ])("rejects %p", (s, why) => expect(validateName("channel", s)).toContain(why));
  it("rejects non-strings", () => expect(validateName("user", 5)).toContain("string"));
});

describe("parseRequest", () => {
  const ok: Array<[string, unknown]> = [
    ["login", { service: "login", data: { user: "ana", timestamp: 1, clock: 0 } }],
    ["login without stamp (foreign client)", { service: "login", data: { user: "ana" } }],
    ["users without data", { service: "users" }],
    ["channel", { service: "channel", data: { channel: "geral" } }],
    ["channels", { service: "channels", data: {} }],
    ["publish", { service: "publish", data: { user: "a", channel: "c", message: "hi" } }],
    ["publish with id", { service: "publish", data: { user: "a", channel: "c", message: "hi", id: "abc-1.2_3" } }],
    ["message", { service: "message", data: { src: "a", dst: "b", message: "hi" } }],
    ["history channel", { service: "history", data: { channel: "c" } }],
    ["history private", { service: "history", data: { user: "a", peer: "b", limit: 1000, before: "s1:3" } }],
    ["history before clock", { service: "history", data: { channel: "c", before: 17 } }],
    ["rank", { service: "rank", data: { user: "s1", address: "tcp://127.0.0.1:5560" } }],
    ["heartbeat", { service: "heartbeat", data: { user: "s1" } }],
    ["list", { service: "list", data: {} }],
    ["clock", { service: "clock", data: {} }],
    ["election", { service: "election", data: {} }],
    ["64 KiB text", { service: "publish", data: { user: "a", channel: "c", message: "x".repeat(MAX_TEXT_BYTES) } }],
  ];
  it.each(ok)("accepts %s", (_n, raw) => {
    const r = parseRequest(raw);
    expect(r.ok).toBe(true);
  });

  it("reads clocks and timestamps of every width and form (dialects.md)", () => {
    const ms = 1_733_000_000_000;
    const cases: Array<[unknown, unknown, number, number]> = [
      [ms, 7, ms, 7], // integer ms, small clock
      [ms / 1000, 5.0, ms, 5], // float seconds, float clock
      ["2024-12-01T07:33:20.000Z", 3.9, Date.parse("2024-12-01T07:33:20.000Z"), 3], // ISO string, fractional clock rounded down
      [ms, ms, ms, ms], // a client that sends its wall clock as its Lamport clock
    ];
    for (const [timestamp, clock, wantTs, wantClock] of cases) {
      const r = parseRequest({ service: "users", data: { timestamp, clock } });
      expect(r.ok && r.req.data).toEqual({ timestamp: wantTs, clock: wantClock });
    }
  });

  it("decodes uint64 and int64 on the wire as numbers a request may carry", () => {
    // {service: "users", data: {timestamp: uint64 ms, clock: int64 9}}, as Python and Node clients write them
    const ts = Buffer.alloc(9);
    ts[0] = 0xcf;
    ts.writeBigUInt64BE(1_733_000_000_000n, 1);
    const clock = Buffer.from([0xd3, 0, 0, 0, 0, 0, 0, 0, 9]);
    const body = Buffer.concat([Buffer.from([0x82, 0xa7, ...Buffer.from("service"), 0xa5, ...Buffer.from("users"), 0xa4, ...Buffer.from("data"), 0x82, 0xa9, ...Buffer.from("timestamp")]), ts, Buffer.from([0xa5, ...Buffer.from("clock")]), clock]);
    const r = parseRequest(decode(body));
    expect(r.ok && r.req.data).toEqual({ timestamp: 1_733_000_000_000, clock: 9 });
    // A uint64 beyond the safe integers is a number too, and refused as a clock, never a BigInt.
    const huge = Buffer.concat([Buffer.from([0x81, 0xa5, ...Buffer.from("clock"), 0xcf]), Buffer.alloc(8, 0xff)]);
    expect(typeof (decode(huge) as { clock: unknown }).clock).toBe("number");
    expect(new LamportClock(3).merge((decode(huge) as { clock: unknown }).clock)).toBe(3);
  });

  it("fills the default history limit", () => {
    const r = parseRequest({ service: "history", data: { channel: "c" } });
    expect(r.ok && r.req.data).toMatchObject({ channel: "c", limit: 100 });
  });

  const bad: Array<[string, unknown, string, string]> = [
    ["a number", 5, "error", "map"],
    ["an array", [1, 2], "error", "map"],
    ["null", null, "error", "map"],
    ["no service", { data: {} }, "error", "service"],
    ["service not string", { service: 3, data: {} }, "error", "service"],
    ["unknown service", { service: "dance", data: {} }, "dance", "unknown service"],
    ["data not map", { service: "login", data: "ana" }, "login", "data"],
    ["login no user", { service: "login", data: {} }, "login", "missing field 'user'"],
    ["login user number", { service: "login", data: { user: 7 } }, "login", "string"],
    ["login user 65 chars", { service: "login", data: { user: "u".repeat(65) } }, "login", "longer"],
    ["login reserved", { service: "login", data: { user: "servers" } }, "login", "reserved"],
    ["bad clock", { service: "users", data: { clock: -1 } }, "users", "clock"],
    ["clock as string", { service: "users", data: { clock: "3" } }, "users", "clock"],
    ["clock past the bound", { service: "users", data: { clock: 2 ** 48 + 1 } }, "users", "clock"],
    ["clock 2^53 − 1 (as a float)", { service: "users", data: { clock: 9007199254740991.0 } }, "users", "clock"],
    ["clock NaN", { service: "users", data: { clock: NaN } }, "users", "clock"],
    ["clock Infinity", { service: "users", data: { clock: Infinity } }, "users", "clock"],
    ["timestamp negative", { service: "users", data: { timestamp: -1 } }, "users", "timestamp"],
    ["timestamp as string", { service: "users", data: { timestamp: "now" } }, "users", "timestamp"],
    ["channel missing", { service: "channel", data: {} }, "channel", "missing"],
    ["channel with control char", { service: "channel", data: { channel: "a\tb" } }, "channel", "control"],
    ["publish no message", { service: "publish", data: { user: "a", channel: "c" } }, "publish", "message"],
    ["publish message not string", { service: "publish", data: { user: "a", channel: "c", message: 5 } }, "publish", "string"],
    ["publish empty message", { service: "publish", data: { user: "a", channel: "c", message: "" } }, "publish", "empty"],
    ["publish 1 MiB text", { service: "publish", data: { user: "a", channel: "c", message: "x".repeat(1 << 20) } }, "publish", "longer than"],
    ["publish 64 KiB + 1 of UTF-8", { service: "publish", data: { user: "a", channel: "c", message: "é".repeat(MAX_TEXT_BYTES / 2) + "x" } }, "publish", "longer than"],
    ["publish bad id", { service: "publish", data: { user: "a", channel: "c", message: "m", id: "a b" } }, "publish", "id"],
    ["publish long id", { service: "publish", data: { user: "a", channel: "c", message: "m", id: "i".repeat(65) } }, "publish", "id"],
    ["message no dst", { service: "message", data: { src: "a", message: "m" } }, "message", "dst"],
    ["history nothing", { service: "history", data: {} }, "history", "needs"],
    ["history both", { service: "history", data: { channel: "c", user: "a", peer: "b" } }, "history", "either"],
    ["history user no peer", { service: "history", data: { user: "a" } }, "history", "peer"],
    ["history limit 0", { service: "history", data: { channel: "c", limit: 0 } }, "history", "limit"],
    ["history limit 1001", { service: "history", data: { channel: "c", limit: 1001 } }, "history", "limit"],
    ["history before bool", { service: "history", data: { channel: "c", before: true } }, "history", "before"],
    ["rank no user", { service: "rank", data: {} }, "rank", "user"],
    ["rank bad address", { service: "rank", data: { user: "s1", address: 5 } }, "rank", "address"],
  ];
  it.each(bad)("rejects %s", (_n, raw, service, text) => {
    const r = parseRequest(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.service).toBe(service);
      expect(r.error).toContain(text);
    }
  });
});

describe("replies", () => {
  const now = () => 1234;
  it("puts the error text under description for login/channel/other, message for publish/message", () => {
    expect(errorReply("login", "bad", 3, now)).toEqual({ service: "login", data: { status: "erro", description: "bad", timestamp: 1234, clock: 3 } });
    expect(errorReply("channel", "bad", 3, now).data).toHaveProperty("description", "bad");
    expect(errorReply("publish", "bad", 3, now).data).toHaveProperty("message", "bad");
    expect(errorReply("message", "bad", 3, now).data).toHaveProperty("message", "bad");
    expect(errorReply("error", "bad", 3, now).data).toHaveProperty("description", "bad");
  });
  it("stamps timestamp and clock", () => {
    expect(makeReply("users", { users: [] }, 9, now)).toEqual({ service: "users", data: { users: [], timestamp: 1234, clock: 9 } });
  });
  it("reads seconds below 1e11 as seconds", () => {
    expect(toMillis(1_700_000_000)).toBe(1_700_000_000_000);
    expect(toMillis(1_700_000_000_000)).toBe(1_700_000_000_000);
  });
});

describe("config", () => {
  it("prefers flag over env over default", () => {
    const e = resolveEndpoints({ brokerFrontend: "6000" }, "connect", { BROKER_BACKEND: "tcp://10.0.0.1:7000", PROXY_XSUB: "7001" });
    expect(e.brokerFrontend).toBe("tcp://127.0.0.1:6000");
    expect(e.brokerBackend).toBe("tcp://10.0.0.1:7000");
    expect(e.proxyXsub).toBe("tcp://127.0.0.1:7001");
    expect(e.proxyXpub).toBe("tcp://127.0.0.1:5558");
    expect(e.ref).toBe("tcp://127.0.0.1:5559");
    expect(resolveEndpoints({}, "bind", {}).brokerFrontend).toBe("tcp://*:5555");
  });
  it("rejects nonsense", () => {
    expect(() => toEndpoint("ref", "banana", "bind")).toThrow(ConfigError);
    expect(() => toEndpoint("ref", "70000", "bind")).toThrow(ConfigError);
  });
});

describe("log", () => {
  it("prints one line with lamport, direction and key fields, truncating long texts", () => {
    const lines: string[] = [];
    const log = createLogger({ role: "server", name: "s1", write: (l) => lines.push(l), color: false, now: () => 0 });
    log.recv("broker", { service: "publish", data: { user: "ana", channel: "geral", message: "x".repeat(500) } }, 7);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  L=7  server\/s1 <- broker publish  user=ana channel=geral "x+…"$/);
    expect(lines[0]!.length).toBeLessThan(200);
  });
  it("json mode prints parseable objects; quiet prints nothing", () => {
    const lines: string[] = [];
    createLogger({ role: "bot", mode: "json", write: (l) => lines.push(l) }).send("broker", { service: "login", data: { user: "b" } }, 1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ lamport: 1, who: "bot", dir: "send", service: "login" });
    createLogger({ role: "bot", mode: "quiet", write: (l) => lines.push(l) }).send("x", {}, 1);
    expect(lines).toHaveLength(1);
  });
});
