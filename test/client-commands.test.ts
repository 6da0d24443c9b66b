import { describe, expect, it } from "bun:test";
import { helpText, parseCommand } from "../shared/client/commands.ts";
import { complete } from "../shared/client/completion.ts";
import { parseDelivery } from "../shared/client/delivery.ts";
import { formatDelivery, sanitize } from "../shared/client/render.ts";
import { parseRoleOptions } from "../shared/roles/cli.ts";
import { sentence } from "../shared/client/sentences.ts";

const cmd = (line: string) => {
  const r = parseCommand(line);
  if (!r.ok) throw new Error(`expected ok for ${JSON.stringify(line)}: ${r.error}`);
  return r.command;
};
const err = (line: string) => {
  const r = parseCommand(line);
  if (r.ok) throw new Error(`expected an error for ${JSON.stringify(line)}`);
  return r.error;
};

describe("parseCommand", () => {
  it.each([
    ["/join #geral", { kind: "join", channel: "geral" }],
    ["/join geral", { kind: "join", channel: "geral" }],
    ["  /JOIN #Geral  ", { kind: "join", channel: "Geral" }],
    ["/j #x", { kind: "join", channel: "x" }],
    ["/leave", { kind: "leave" }],
    ["/part #x", { kind: "leave", channel: "x" }],
    ["/msg bob hi  there", { kind: "msg", user: "bob", text: "hi  there" }],
    ["/users", { kind: "users" }],
    ["/channels", { kind: "channels" }],
    ["/history", { kind: "history" }],
    ["/history 5", { kind: "history", limit: 5 }],
    ["/history #x", { kind: "history", target: { channel: "x" } }],
    ["/history bob 20", { kind: "history", target: { user: "bob" }, limit: 20 }],
    ["/help", { kind: "help" }],
    ["/help /msg", { kind: "help", topic: "msg" }],
    ["/quit", { kind: "quit" }],
    ["/exit", { kind: "quit" }],
    ["hello world", { kind: "say", text: "hello world" }],
    ["//not a command", { kind: "say", text: "/not a command" }],
    ["", { kind: "empty" }],
    ["   ", { kind: "empty" }],
  ] as const)("%p", (line, expected) => {
    expect(cmd(line)).toEqual(expected as never);
  });

  it("names unknown commands and points at /help", () => {
    expect(err("/frobnicate x")).toContain("unknown command /frobnicate");
    expect(err("/frobnicate x")).toContain("/help");
  });

  it("gives the usage line for missing or extra arguments", () => {
    expect(err("/join")).toBe("usage: /join #channel");
    expect(err("/join a b")).toBe("usage: /join #channel");
    expect(err("/msg bob")).toBe("usage: /msg user text");
    expect(err("/users now")).toBe("usage: /users");
    expect(err("/history #x many")).toBe("usage: /history [#channel|user] [n]");
  });

  it("rejects names the protocol refuses", () => {
    expect(err("/join #")).toContain("must not be empty");
    expect(err("/join #servers")).toContain("reserved");
    expect(err(`/join #${"c".repeat(65)}`)).toContain("longer than 64");
    expect(err("/history 0")).toContain("1–1000");
    expect(err("/history #x 5000")).toContain("1–1000");
  });

  it("rejects a text over 64 KiB", () => {
    expect(err("x".repeat(70_000))).toContain("longer than");
  });

  it("help lists every command, or one", () => {
    const all = helpText();
    for (const c of ["/join", "/leave", "/msg", "/users", "/channels", "/history", "/help", "/quit"]) expect(all).toContain(c);
    expect(helpText("msg")).toStartWith("/msg user text");
    expect(helpText("nope")).toContain("no command /nope");
  });
});

describe("complete", () => {
  const src = { users: ["ana", "anabela", "bob"], channels: ["geral", "games"], joined: ["geral", "mine"] };
  it("completes command names at the start", () => {
    expect(complete("/h", src)).toEqual([["/help", "/history"], "/h"]);
    expect(complete("/jo", src)).toEqual([["/join"], "/jo"]);
  });
  it("completes channels after /join, joined channels after /leave", () => {
    expect(complete("/join #g", src)).toEqual([["#games", "#geral"], "#g"]);
    expect(complete("/join ", src)[0]).toEqual(["#games", "#geral", "#mine"]);
    expect(complete("/leave #", src)[0]).toEqual(["#geral", "#mine"]);
  });
  it("completes users after /msg, but not the text", () => {
    expect(complete("/msg an", src)).toEqual([["ana", "anabela"], "an"]);
    expect(complete("/msg ana b", src)[0]).toEqual([]);
  });
  it("completes users and #channels inside plain text", () => {
    expect(complete("hi b", src)).toEqual([["bob"], "b"]);
    expect(complete("see #ga", src)).toEqual([["#games"], "#ga"]);
  });
});

describe("parseDelivery", () => {
  const post = (channel: string) => ({ service: "publish", data: { user: "ana", channel, message: "hi", timestamp: 1_700_000_000_000, clock: 7, id: "abc" } });
  const pm = (dst: string) => ({ service: "message", data: { src: "bob", dst, message: "psst", timestamp: 1_700_000_000, clock: 3 } });

  it("accepts a post on its own channel's topic and a pm on its destination's topic", () => {
    expect(parseDelivery("x", post("x"))).toMatchObject({ kind: "channel", channel: "x", user: "ana", text: "hi", clock: 7, id: "abc" });
    // A timestamp in seconds is read as seconds.
    expect(parseDelivery("ana", pm("ana"))).toMatchObject({ kind: "private", src: "bob", dst: "ana", timestamp: 1_700_000_000_000 });
  });
  it("drops prefix matches and mismatched or malformed payloads", () => {
    expect(parseDelivery("ana", pm("anabela"))).toBeNull();
    expect(parseDelivery("x", post("xy"))).toBeNull();
    expect(parseDelivery("x", { service: "message", data: post("x").data })).toBeNull();
    expect(parseDelivery("x", { service: "publish", data: { channel: "x" } })).toBeNull();
    expect(parseDelivery("x", null)).toBeNull();
    expect(parseDelivery("x", [1, 2])).toBeNull();
  });
});

describe("render", () => {
  it("shows channel posts and private messages with the time", () => {
    const d = parseDelivery("x", { service: "publish", data: { user: "ana", channel: "x", message: "hi", timestamp: 1_700_000_000_000 } })!;
    expect(formatDelivery(d)).toMatch(/^\d\d:\d\d:\d\d \[#x\] ana: hi$/);
    const m = parseDelivery("bob", { service: "message", data: { src: "ana", dst: "bob", message: "yo", timestamp: 1_700_000_000_000 } })!;
    expect(formatDelivery(m)).toMatch(/^\d\d:\d\d:\d\d \[pm\] ana → bob: yo$/);
  });
  it("escapes control characters from other people's text", () => {
    expect(sanitize("a\u001b[2Jb\nc")).toBe("a\\x1b[2Jb\\x0ac");
  });
});

describe("flags and sentences", () => {
  it("rejects non-numbers and out-of-range flag values", () => {
    const rate = (...argv: string[]) => parseRoleOptions("bot", ["rate"], { argv, env: {} })!.options.rate;
    expect(rate()).toBe(2);
    expect(rate("--rate", "5")).toBe(5);
    expect(() => rate("--rate", "fast")).toThrow("--rate must be a number");
    expect(() => rate("--rate", "0")).toThrow("--rate");
  });
  it("makes a short sentence from the word list, deterministic for a given random source", () => {
    let i = 0;
    const seq = () => [0, 0.5, 0.99, 0.2][i++ % 4]!;
    const s = sentence(seq);
    expect(s).toBe("the broker repeats a quiet night!");
  });
});
