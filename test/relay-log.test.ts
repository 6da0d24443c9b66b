/** The broker's and proxy's log taps, and the subscribers' exact topic filter. */
import { describe, expect, it } from "bun:test";
import { encode } from "../shared/wire/codec.ts";
import { createLogger } from "../shared/roles/log.ts";
import { brokerTap, proxyTap } from "../shared/relay/relay.ts";
import { TopicFilter } from "./helpers/topic-filter.ts";

function logger(role: string) {
  const lines: string[] = [];
  return { lines, log: createLogger({ role, write: (l) => lines.push(l), color: false, now: () => 0 }) };
}
const id = Buffer.from([0, 1, 2, 3, 4]);
const body = (v: unknown) => encode(v);

describe("broker tap", () => {
  it("shows a request with the message's own clock and a reply the other way", () => {
    const { lines, log } = logger("broker");
    const tap = brokerTap(log);
    tap("forward", [id, Buffer.alloc(0), body({ service: "login", data: { user: "ana", clock: 7 } })]);
    tap("backward", [id, Buffer.alloc(0), body({ service: "login", data: { status: "sucesso", clock: 9 } })]);
    expect(lines[0]).toMatch(/L=7\s+broker <- client:0001020304 login\s+user=ana$/);
    expect(lines[1]).toMatch(/L=9\s+broker -> client:0001020304 login\s+status=sucesso$/);
  });

  it("never shows a password or a session token, in text or JSON", () => {
    for (const mode of ["text", "json"] as const) {
      const lines: string[] = [];
      const tap = brokerTap(createLogger({ role: "broker", mode, write: (l) => lines.push(l), color: false, now: () => 0 }));
      tap("forward", [id, Buffer.alloc(0), body({ service: "login", data: { user: "ana", password: "hunter2", clock: 7 } })]);
      tap("backward", [id, Buffer.alloc(0), body({ service: "login", data: { status: "sucesso", token: "tok-secret", clock: 9 } })]);
      tap("forward", [id, Buffer.alloc(0), body({ service: "publish", data: { user: "ana", channel: "c", message: "m", token: "tok-secret", clock: 10 } })]);
      const text = lines.join("\n");
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("tok-secret");
      // text lines show only the fields that matter; JSON lines show the rest, masked
      if (mode === "json") expect(text.match(/\(hidden\)/g)?.length).toBe(3);
    }
  });

  it("never throws on bodies it cannot read, and shows their size", () => {
    const { lines, log } = logger("broker");
    const tap = brokerTap(log);
    tap("forward", [id, Buffer.alloc(0), Buffer.from([0xc1, 0xc1])]);
    tap("forward", [id, Buffer.alloc(0), body([1, 2])]);
    tap("forward", [id, Buffer.alloc(0), body({ service: "users" })]);
    tap("forward", [id, Buffer.alloc(0), body({ a: 1 }), body({ b: 2 })]);
    tap("forward", []);
    expect(lines.map((l) => l.replace(/^.*broker /, ""))).toEqual([
      "<- client:0001020304 <2 bytes>",
      "<- client:0001020304 <3 bytes>",
      "<- client:0001020304 users (no clock)",
      expect.stringMatching(/^<- client:0001020304 <2 frames, \d+ bytes>$/),
      "<- client:? <0 frames, 0 bytes>",
    ]);
  });
});

describe("proxy tap", () => {
  it("shows publications by topic and (un)subscriptions", () => {
    const { lines, log } = logger("proxy");
    const tap = proxyTap(log);
    tap("forward", [Buffer.from("geral"), body({ service: "publish", data: { user: "ana", channel: "geral", message: "oi", clock: 3 } })]);
    tap("backward", [Buffer.from("\x01geral")]);
    tap("backward", [Buffer.from("\x00geral")]);
    tap("backward", [Buffer.from([1])]);
    expect(lines[0]).toMatch(/L=3\s+proxy <- pub:geral publish\s+user=ana channel=geral "oi"$/);
    expect(lines.slice(1).map((l) => l.replace(/^.*proxy /, ""))).toEqual([
      'subscribe "geral"',
      'unsubscribe "geral"',
      "subscribe <everything>",
    ]);
  });
});

describe("TopicFilter", () => {
  const pub = (topic: string, v: unknown = { service: "publish", data: { message: "x" } }) => [Buffer.from(topic), encode(v)];
  it("accepts only exact topics, not prefix matches", () => {
    const f = new TopicFilter(["ana"]);
    expect(f.accept(pub("ana"))?.topic).toBe("ana");
    expect(f.check(pub("anabela"))).toEqual({ ok: false, why: "topic" });
    expect(f.check(pub("an"))).toEqual({ ok: false, why: "topic" });
    f.delete("ana");
    expect(f.accept(pub("ana"))).toBeNull();
  });
  it("drops bad shapes and payloads without throwing", () => {
    const f = new TopicFilter(["ana"]);
    expect(f.check([Buffer.from("ana")])).toEqual({ ok: false, why: "shape" });
    expect(f.check([Buffer.from("ana"), Buffer.from([0xc1])])).toEqual({ ok: false, why: "payload" });
    expect(f.check(pub("ana", [1]))).toEqual({ ok: false, why: "payload" });
    expect(f.check(pub("ana", { service: "publish" }))).toEqual({ ok: false, why: "payload" });
  });
});
