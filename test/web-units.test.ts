/**
 * The web client's pure parts, without a browser or a cluster: the
 * gateway's check of every frame a browser sends, its flood bucket, the
 * page's input commands, its reading of text (links, channels, mentions,
 * actions, control characters) and its windows (each message once, in
 * the server's order, whether live, on open, paging back or filling the
 * gap after a reconnect; unread counts and the new-messages marker).
 *
 * @module
 */
import { describe, expect, it } from "bun:test";
import { actionText, readAction } from "../shared/web/action.ts";
import { parseFrame } from "../shared/web/inbound.ts";
import { TokenBucket } from "../shared/web/rate.ts";
import { MAX_PASSWORD_BYTES, windowKey, type Delivery } from "../shared/web/protocol.ts";
import { MAX_PASSWORD_BYTES as SERVER_MAX_PASSWORD_BYTES } from "../shared/wire/protocol.ts";
import { parseInput } from "../web/commands.ts";
import { mentions, pieces, visible } from "../web/text.ts";
import { append, confirm, countUnread, markRead, mergeLatest, newWindow, prependOlder, toLine, type Line } from "../web/windows.ts";

describe("gateway: frames from a browser", () => {
  it.each([
    ["not JSON", "{nope", { ok: false, fatal: true }],
    ["not an object", "[1,2]", { ok: false, fatal: true }],
    ["no ref", '{"t":"channels"}', { ok: false, fatal: false, ref: 0, error: "'ref' must be a positive integer" }],
    ["unknown type", '{"t":"eval","ref":3}', { ok: false, fatal: false, ref: 3, error: "unknown request 'eval'" }],
    ["reserved name", '{"t":"login","ref":1,"user":"$x"}', { ok: false, ref: 1, error: "user '$x' is a reserved name" }],
    ["control character", '{"t":"join","ref":1,"channel":"a\\u0007b"}', { ok: false, error: "channel contains a control character" }],
    ["bad id", '{"t":"publish","ref":1,"channel":"c","text":"hi","id":"a b"}', { ok: false, error: "id may only contain letters, digits, '_', '.' and '-'" }],
    ["empty text", '{"t":"message","ref":1,"dst":"bob","text":"","id":"x"}', { ok: false, error: "message must not be empty" }],
    ["both targets", '{"t":"history","ref":1,"channel":"c","peer":"p"}', { ok: false, error: "history takes either 'channel' or 'peer'" }],
    ["page too big", '{"t":"history","ref":1,"channel":"c","limit":201}', { ok: false, error: "limit must be an integer from 1 to 200" }],
    ["password not a string", '{"t":"login","ref":1,"user":"ana","password":42}', { ok: false, ref: 1, error: "password must be a string" }],
    ["null password", '{"t":"login","ref":1,"user":"ana","password":null}', { ok: false, error: "password must be a string" }],
    ["empty password", '{"t":"login","ref":1,"user":"ana","password":""}', { ok: false, error: "password must not be empty" }],
    ["password of 1025 bytes", JSON.stringify({ t: "login", ref: 1, user: "ana", password: "x".repeat(1025) }), { ok: false, error: "password is longer than 1024 bytes" }],
    ["password of 513 characters, 1026 bytes", JSON.stringify({ t: "login", ref: 1, user: "ana", password: "é".repeat(513) }), { ok: false, error: "password is longer than 1024 bytes" }],
  ])("refuses %s", (_name, frame, want) => {
    expect(parseFrame(frame)).toMatchObject(want);
  });

  it("keeps only the fields it knows", () => {
    const r = parseFrame('{"t":"publish","ref":7,"channel":"c","text":"hi","id":"m-1","extra":{"x":1},"user":"someone-else"}');
    expect(r).toEqual({ ok: true, req: { t: "publish", ref: 7, channel: "c", text: "hi", id: "m-1" } });
    expect(parseFrame(JSON.stringify({ t: "login", ref: 3, user: "ana", password: "é".repeat(512), token: "x" }))).toEqual({ ok: true, req: { t: "login", ref: 3, user: "ana", password: "é".repeat(512) } });
    expect(parseFrame('{"t":"login","ref":4,"user":"ana"}')).toEqual({ ok: true, req: { t: "login", ref: 4, user: "ana" } });
    expect(MAX_PASSWORD_BYTES).toBe(SERVER_MAX_PASSWORD_BYTES);
    expect(parseFrame('{"t":"history","ref":2,"peer":"bob","before":"server1:42"}')).toEqual({ ok: true, req: { t: "history", ref: 2, peer: "bob", limit: 100, before: "server1:42" } });
  });

  it("lets a burst through, then the rate", () => {
    const b = new TokenBucket(10, 5, 0);
    expect(Array.from({ length: 6 }, () => b.take(0))).toEqual([true, true, true, true, true, false]);
    expect(b.take(100)).toBe(true); // 100 ms later: one more token
    expect(b.take(100)).toBe(false);
  });
});

describe("page: input and text", () => {
  it.each([
    ["hello", { kind: "say", text: "hello" }],
    ["//not a command", { kind: "say", text: "/not a command" }],
    ["/join #room", { kind: "join", channel: "room" }],
    ["/j room", { kind: "join", channel: "room" }],
    ["/part", { kind: "part" }],
    ["/msg bob hi  there", { kind: "msg", user: "bob", text: "hi  there" }],
    ["/query @bob", { kind: "query", user: "bob" }],
    ["/me waves", { kind: "me", text: "waves" }],
    ["/join", { kind: "error", error: "usage: /join #channel" }],
    ["/join $x", { kind: "error", error: "channel '$x' is a reserved name" }],
    ["/frob", { kind: "error", error: "unknown command /frob; /help lists them" }],
  ])("reads %j", (line, want) => {
    expect(parseInput(line)).toEqual(want as never);
  });

  it("links http(s) URLs and #channels, nothing else", () => {
    expect(pieces("see https://x.org/a_(b)), and #room.")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://x.org/a_(b)", href: "https://x.org/a_(b)" },
      { kind: "text", text: "), and " },
      { kind: "channel", text: "#room", channel: "room" },
      { kind: "text", text: "." },
    ]);
    expect(pieces("javascript:alert(1) <img src=x onerror=alert(1)>")).toEqual([{ kind: "text", text: "javascript:alert(1) <img src=x onerror=alert(1)>" }]);
  });

  it("finds a mention only as a word of its own", () => {
    expect(mentions("hey Ana, look", "ana")).toBe(true);
    expect(mentions("banana split", "ana")).toBe(false);
    expect(mentions("anabela and ana", "ana")).toBe(true);
    expect(mentions("bot-1e26: hi", "bot-1e26")).toBe(true);
  });

  it("reads /me actions and shows control characters instead of obeying them", () => {
    expect(readAction(actionText("waves"))).toBe("waves");
    expect(actionText("waves")).toBe("/me waves");
    expect(readAction("\u0001ACTION waves\u0001")).toBe("waves");
    expect(readAction("waves")).toBeNull();
    expect(readAction("/me ")).toBeNull();
    expect(visible("a\u001b[31mb\u0007")).toBe("a\u241b[31mb\u2407");
  });
});

const msg = (id: string, timestamp: number, user = "bob", text = `m ${id}`): Delivery => ({ kind: "channel", channel: "room", user, text, timestamp, clock: timestamp, id });
const lines = (ms: Delivery[]) => ms.map((m) => toLine(m, "ana"));
const texts = (w: { lines: Line[] }) => w.lines.map((l) => l.text);

describe("page: windows", () => {
  it("shows each message once, whichever way it came", () => {
    const w = newWindow("#room");
    expect(append(w, toLine(msg("a", 1), "ana"))).toBe(true);
    expect(append(w, toLine(msg("a", 1), "ana"))).toBe(false);
    mergeLatest(w, lines([msg("a", 1), msg("b", 3), msg("c", 2)]), false);
    expect(texts(w)).toEqual(["m a", "m b", "m c"]); // the page's order, not the clocks'
    expect(prependOlder(w, lines([msg("z", 0), msg("a", 1)]), true)).toBe(1);
    expect(texts(w)).toEqual(["m z", "m a", "m b", "m c"]);
    // A server that ignores `before` sends the same page: nothing older then.
    expect(prependOlder(w, lines([msg("z", 0)]), true)).toBe(0);
    expect(w.more).toBe(false);
  });

  it("fills the gap after a reconnect, and starts over when the gap is wider than a page", () => {
    const w = newWindow("#room");
    mergeLatest(w, lines([msg("a", 1), msg("b", 2)]), false);
    w.loaded = true;
    const pending: Line = { key: "p", id: "p", from: "ana", text: "queued", timestamp: 3, kind: "message", own: true, mention: false, state: "pending" };
    append(w, pending);
    mergeLatest(w, lines([msg("b", 2), msg("c", 4), msg("d", 5)]), true);
    expect(texts(w)).toEqual(["m a", "m b", "m c", "m d", "queued"]);
    confirm(w, "p", 6);
    expect(w.lines.at(-1)).toMatchObject({ text: "queued", timestamp: 6 });
    expect(w.lines.at(-1)!.state).toBeUndefined();
    mergeLatest(w, lines([msg("x", 10), msg("y", 11)]), true);
    expect(texts(w)).toEqual(["m x", "m y"]);
    expect(w.more).toBe(true);
  });

  it("counts unread lines and mentions, and puts the marker before the first unread one", () => {
    const w = newWindow("#room", 10);
    for (const m of [msg("old", 5), msg("n1", 11), msg("n2", 12, "bob", "ana: look"), msg("own", 13, "ana")]) {
      const l = toLine(m, "ana");
      append(w, l);
      countUnread(w, l, false);
    }
    expect([w.unread, w.mention]).toEqual([2, true]);
    markRead(w, false);
    expect([w.unread, w.mention, w.marker, w.lastRead]).toEqual([0, false, "n1", 13]);
    expect(windowKey({ kind: "private", src: "bob", dst: "ana", text: "hi", timestamp: 1, clock: 1 }, "ana")).toBe("@bob");
    expect(windowKey({ kind: "private", src: "ana", dst: "bob", text: "hi", timestamp: 1, clock: 1 }, "ana")).toBe("@bob");
  });
});
