/**
 * The web gateway (scripts/web.ts) without a browser: the page served with
 * its security headers, the browser protocol end to end against a real
 * cluster (login, join, posts, private messages, history paged with
 * `before`, one log line per message each way), bad requests answered and
 * survived, a login's password (owned names) checked, taken to the
 * cluster and never logged or echoed, and hostile peers (binary garbage,
 * text that is not JSON, an oversized frame, a flood, a page of another
 * site) cut off while the other sessions go on.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { freePort, type RoleProcess } from "./helpers/process.ts";
import { CLOSE, MAX_FRAME_BYTES } from "../shared/web/protocol.ts";
import { WsSession } from "./web/ws-client.ts";

let cluster: Cluster;
let web: RoleProcess;
let base: string;
let wsUrl: string;
const sessions: WsSession[] = [];

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"], brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
  const port = await freePort();
  web = cluster.spawn("web", ["--web-port", String(port)]);
  await web.waitFor(/web gateway on http:\/\/localhost:\d+/, 20_000);
  base = `http://127.0.0.1:${port}`;
  wsUrl = `ws://127.0.0.1:${port}/ws`;
}, 40_000);

afterAll(async () => {
  for (const s of sessions) s.close();
  await cluster?.stop();
});

function session(headers?: Record<string, string>): WsSession {
  const s = new WsSession(wsUrl, headers);
  sessions.push(s);
  return s;
}

async function loggedIn(user: string, channel?: string): Promise<WsSession> {
  const s = session();
  await s.request({ t: "login", user });
  if (channel) await s.request({ t: "join", channel });
  return s;
}

describe("web gateway", () => {
  it("serves the page, its bundle and style with a strict Content-Security-Policy", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    const script = /src="(\/app\.[0-9a-f]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/style\.[0-9a-f]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${base}${script}`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${base}${style}`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${base}/ws`)).status).toBe(426);
  });

  it("carries posts, private messages and history pages between sessions, logging every message", async () => {
    const ana = await loggedIn("ana", "plaza");
    const bob = await loggedIn("bob", "plaza");
    // A subscription takes effect some time after the join: post until bob sees one.
    let n = 0;
    await eventually(async () => {
      const text = `hello ${n++}`;
      await ana.request({ t: "publish", channel: "plaza", text, id: `a-${n}` });
      await eventually(() => expect(bob.messages.some((m) => m.kind === "channel" && m.text === text)).toBe(true), { timeoutMs: 300, intervalMs: 20 });
    }, { timeoutMs: 10_000, intervalMs: 0, what: "bob seeing ana's post" });
    // Ana sees her own post once (from the ack or the delivery, never both).
    const own = ana.messages.filter((m) => m.kind === "channel" && m.text === `hello ${n - 1}`);
    expect(own).toHaveLength(1);

    const pm = await ana.request({ t: "message", dst: "bob", text: "psst", id: "pm-1" });
    expect(pm.id).toBe("pm-1");
    await eventually(() => expect(bob.messages.some((m) => m.kind === "private" && m.src === "ana" && m.text === "psst" && m.id === "pm-1")).toBe(true));

    // A resend with the same id is stored once.
    await ana.request({ t: "publish", channel: "plaza", text: "once", id: "same-id" });
    await ana.request({ t: "publish", channel: "plaza", text: "once", id: "same-id" });
    const seed = cluster.client();
    await seed.request("login", { user: "seed" });
    for (let i = 0; i < 250; i++) expect((await seed.request("publish", { user: "seed", channel: "plaza", message: `old ${i}` })).data.status).toBe("OK");
    const latest = await bob.request({ t: "history", channel: "plaza", limit: 100 });
    expect(latest.messages).toHaveLength(100);
    expect(latest.more).toBe(true);
    expect(latest.messages.at(-1)).toMatchObject({ kind: "channel", text: "old 249" });
    const older = await bob.request({ t: "history", channel: "plaza", limit: 100, before: latest.messages[0]!.id });
    expect(older.messages.at(-1)).toMatchObject({ text: "old 149" });
    const all = await bob.request({ t: "history", channel: "plaza", limit: 200, before: older.messages[0]!.id });
    expect(all.messages.filter((m) => m.text === "once")).toHaveLength(1);
    const conv = await bob.request({ t: "history", peer: "ana", limit: 10 });
    expect(conv.messages.map((m) => m.text)).toEqual(["psst"]);

    expect(web.grep(/web\/ana <- browser message\s+dst=bob id=pm-1 "psst"/)).toHaveLength(1);
    expect(web.grep(/web\/ana -> broker message\s+src=ana dst=bob id=pm-1 "psst"/)).toHaveLength(1);
    expect(web.grep(/web\/bob <- pub:bob message\s+src=ana dst=bob id=pm-1/)).toHaveLength(1);
    expect(web.grep(/web\/bob -> browser message\s+src=ana dst=bob id=pm-1/)).toHaveLength(1);
  }, 30_000);

  it("answers bad requests with an error and goes on", async () => {
    const s = session();
    await expect(s.request({ t: "join", channel: "plaza" })).rejects.toThrow("state: log in first");
    await expect(s.request({ t: "login", user: "$root" })).rejects.toThrow("bad-request: user '$root' is a reserved name");
    await s.request({ t: "login", user: "carol" });
    await expect(s.request({ t: "login", user: "dave" })).rejects.toThrow("already logged in as carol");
    await expect(s.request({ t: "publish", channel: "plaza", text: "", id: "x" })).rejects.toThrow("message must not be empty");
    await expect(s.request({ t: "publish", channel: "plaza", text: "hi", id: "bad id!" })).rejects.toThrow("bad-request: id may only contain");
    await expect(s.request({ t: "publish", channel: "nowhere", text: "hi", id: "ok-1" })).rejects.toThrow("refused: publish: channel 'nowhere' does not exist");
    await expect(s.request({ t: "history", channel: "plaza", limit: 5000 })).rejects.toThrow("limit must be an integer from 1 to 200");
    await expect(s.request({ t: "frobnicate" } as never)).rejects.toThrow("unknown request 'frobnicate'");
    expect((await s.request({ t: "channels" })).channels).toContain("plaza");
  });

  it("takes a login's password to the cluster and nowhere else: bad ones refused, a registered name needs it, none logged or echoed", async () => {
    const PASSWORD = "gina-pass-phrase-7";
    const s = session();
    const bad: [unknown, string][] = [
      [42, "password must be a string"],
      [null, "password must be a string"],
      [{ p: "x" }, "password must be a string"],
      ["", "password must not be empty"],
      ["x".repeat(1025), "password is longer than 1024 bytes"],
      ["é".repeat(513), "password is longer than 1024 bytes"],
    ];
    for (const [password, error] of bad) await expect(s.request({ t: "login", user: "gina", password } as never)).rejects.toThrow(`bad-request: ${error}`);
    // Refused cleanly: the socket is open and not logged in.
    await expect(s.request({ t: "channels" })).rejects.toThrow("state: log in first");
    expect(await s.request({ t: "login", user: "gina", password: PASSWORD })).toEqual({ user: "gina" });

    const other = session();
    await expect(other.request({ t: "login", user: "gina" })).rejects.toThrow("password: login: name 'gina' is registered: log in with its password");
    await expect(other.request({ t: "login", user: "gina", password: "not it" })).rejects.toThrow("password: login: wrong password for 'gina'");
    expect(await other.request({ t: "login", user: "gina", password: PASSWORD })).toEqual({ user: "gina" });

    // Her private messages reach both her sessions: their subscriptions authenticated as her (PLAIN, with the token).
    const hal = await loggedIn("hal");
    await hal.request({ t: "message", dst: "gina", text: "for gina only", id: "pm-gina-1" });
    for (const g of [s, other]) await eventually(() => expect(g.messages.some((m) => m.kind === "private" && m.src === "hal" && m.id === "pm-gina-1")).toBe(true));
    // And what she sends carries the token her login got.
    expect((await s.request({ t: "message", dst: "hal", text: "got it", id: "pm-hal-1" })).id).toBe("pm-hal-1");
    await eventually(() => expect(hal.messages.some((m) => m.kind === "private" && m.src === "gina" && m.id === "pm-hal-1")).toBe(true));
    // Her private history needs the token too, paged back with `before` as well.
    const conv = await other.request({ t: "history", peer: "hal", limit: 10 });
    expect(conv.messages.map((m) => m.text)).toEqual(["for gina only", "got it"]);
    expect((await other.request({ t: "history", peer: "hal", limit: 10, before: conv.messages[1]!.id })).messages.map((m) => m.text)).toEqual(["for gina only"]);

    for (const g of [s, other]) expect(JSON.stringify(g.frames)).not.toContain(PASSWORD);
    // Each login is logged each way, without its password.
    expect(web.grep(/-> broker login\s+user=gina$/).length).toBeGreaterThanOrEqual(4);
    expect(web.grep(new RegExp(PASSWORD))).toEqual([]);
  }, 30_000);

  it("cuts off hostile peers (garbage, oversized frames, a flood, another site's page) without affecting the others", async () => {
    const ana = await loggedIn("ana2", "plaza");
    const bob = await loggedIn("bob2", "plaza");

    const binary = session();
    await binary.open();
    binary.raw(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(await binary.closed).toBe(CLOSE.unsupported);

    const garbage = session();
    await garbage.open();
    garbage.raw("{this is not json");
    expect(await garbage.closed).toBe(CLOSE.invalid);

    const big = await loggedIn("big");
    big.raw(JSON.stringify({ t: "publish", ref: 1, channel: "plaza", text: "x".repeat(MAX_FRAME_BYTES), id: "big" }));
    expect(await big.closed).toBe(CLOSE.tooBig);

    const flood = await loggedIn("flood");
    for (let i = 0; i < 500; i++) flood.raw(JSON.stringify({ t: "channels", ref: i + 1 }));
    expect(await flood.closed).toBe(CLOSE.policy);
    expect(flood.frames.some((f) => f.t === "bye" && /^too many (frames|bad requests)$/.test(f.reason))).toBe(true);

    const strikes = await loggedIn("striker");
    for (let i = 0; i < 25; i++) strikes.raw(JSON.stringify({ t: "join", ref: i + 1, channel: "" }));
    expect(await strikes.closed).toBe(CLOSE.policy);

    const foreign = session({ Origin: "http://evil.example" });
    await expect(foreign.open()).rejects.toThrow();

    // The others never noticed.
    const text = `still here ${Date.now()}`;
    await ana.request({ t: "publish", channel: "plaza", text, id: `still-${Date.now()}` });
    await eventually(() => expect(bob.messages.some((m) => m.text === text)).toBe(true), { timeoutMs: 3000 });
    expect(web.running).toBe(true);
  }, 30_000);
});
