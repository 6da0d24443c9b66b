import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"], brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
}, 30_000);

afterAll(() => cluster?.stop());

const client = (...args: string[]) => cluster.spawnClient(...args);

describe("client with piped stdin", () => {
  it("runs a script of commands in order and exits 0 at EOF", async () => {
    // bob must exist for /msg to succeed.
    const bob = cluster.client();
    expect((await bob.request("login", { user: "bob" })).data.status).toBe("sucesso");

    const c = client("--user", "ana");
    c.send(
      "/join #lobby",
      "hello everyone",
      "/msg bob psst",
      "/msg nobody-here hi",
      "/users",
      "/channels",
      "/history #lobby",
      "/history bob",
      "/frobnicate",
      "/leave",
      "/leave",
      "after leaving",
    );
    c.end();
    expect(await c.exited).toBe(0);
    const out = c.stdout;
    const idx = (re: RegExp) => out.findIndex((l) => re.test(l));

    expect(idx(/^\* logged in as ana/)).toBeGreaterThanOrEqual(0);
    expect(idx(/^\* joined #lobby \(new channel\)$/)).toBeGreaterThan(idx(/logged in/));
    // The post shows once when acknowledged, with the time (and again in the history).
    const delivered = idx(/^\d\d:\d\d:\d\d \[#lobby\] ana: hello everyone$/);
    expect(delivered).toBeGreaterThan(0);
    expect(idx(/^\d\d:\d\d:\d\d \[pm\] ana → bob: psst$/)).toBeLessThan(idx(/history of #lobby/));
    expect(c.grep(/^error: message: user 'nobody-here' does not exist$/)).toHaveLength(1);
    expect(c.grep(/^users \(2\): ana, bob$/)).toHaveLength(1);
    expect(c.grep(/^channels \(1\): lobby$/)).toHaveLength(1);
    expect(c.grep(/^\* history of #lobby: 1 message$/)).toHaveLength(1);
    expect(c.grep(/^\* history of conversation with bob: 1 message$/)).toHaveLength(1);
    // The channel post shows twice (echo + history), the pm twice (echo + history).
    expect(c.grep(/\[#lobby\] ana: hello everyone$/)).toHaveLength(2);
    expect(c.grep(/\[pm\] ana → bob: psst$/)).toHaveLength(2);
    expect(c.grep(/^error: unknown command \/frobnicate; type \/help for the list$/)).toHaveLength(1);
    expect(c.grep(/^\* left #lobby$/)).toHaveLength(1);
    expect(c.grep(/^error: not in a channel/).length).toBe(2); // second /leave and the text after it
    // Commands ran in the order given.
    expect(idx(/^users \(/)).toBeLessThan(idx(/^channels \(/));
    expect(idx(/^channels \(/)).toBeLessThan(idx(/history of #lobby/));
    expect(idx(/unknown command/)).toBeLessThan(idx(/^\* left #lobby/));
    // Every request and reply was logged too (one line each).
    expect(c.grep(/client\/ana -> broker publish/)).toHaveLength(1);
    expect(c.grep(/client\/ana <- broker publish\s+status=OK/)).toHaveLength(1);
    // Its own delivery may or may not make it: a subscription made just before
    // the post can reach the publishers after it (the post shows from the ack).
    expect(c.grep(/client\/ana <- pub:lobby publish/).length).toBeLessThanOrEqual(1);

    // Stored once, even though logged: bob's view of the history agrees.
    const h = await bob.request("history", { channel: "lobby", limit: 10 });
    expect((h.data.messages as unknown[]).length).toBe(1);
  }, 30_000);

  it("joins an existing channel without an error and /quit exits 0", async () => {
    const c = client("--user", "carol", "--quiet");
    c.send("/join lobby", "/help", "/quit", "never sent");
    expect(await c.exited).toBe(0);
    expect(c.grep(/^\* joined #lobby$/)).toHaveLength(1);
    expect(c.grep(/^  \/msg user text/)).toHaveLength(1);
    expect(c.grep(/never sent/)).toHaveLength(0);
    // --quiet hides the message log.
    expect(c.grep(/client\/carol ->/)).toHaveLength(0);
  }, 20_000);

  it("asks for the user name when --user is missing", async () => {
    const c = client("--quiet");
    c.send("", "servers", "  dave ", "/users");
    c.end();
    expect(await c.exited).toBe(0);
    expect(c.grep(/^error: user (must not be empty|'servers' is a reserved name)$/).length).toBe(2);
    expect(c.grep(/^\* logged in as dave/)).toHaveLength(1);
    expect(c.grep(/^users \(\d+\): .*dave/)).toHaveLength(1);
  }, 20_000);

  it("refuses a bad user name with exit code 1", async () => {
    const c = client("--user", "servers", "--quiet");
    c.end();
    expect(await c.exited).toBe(1);
    expect(c.stderr.join("\n")).toContain("reserved");
  }, 20_000);

  it("shows only its own topics: not a pm for anabela, not a post in #lobbyist", async () => {
    const other = cluster.client();
    for (const user of ["anabela", "eve"]) await other.request("login", { user });
    await other.request("channel", { channel: "lobbyist" });

    const c = client("--user", "ana", "--quiet");
    c.send("/join #lobby");
    await c.waitFor(/^\* joined #lobby/);
    await other.warmUp(c, "eve", "lobby");
    // Each pair goes through the same server and proxy in order: once the second shows, the first has had its chance.
    await other.request("message", { src: "eve", dst: "anabela", message: "for anabela only" });
    await other.request("publish", { user: "eve", channel: "lobbyist", message: "lobbyist only" });
    await other.request("message", { src: "eve", dst: "ana", message: "for ana" });
    await other.request("publish", { user: "eve", channel: "lobby", message: "lobby too" });
    await c.waitFor(/\[pm\] eve → ana: for ana$/);
    await c.waitFor(/\[#lobby\] eve: lobby too$/);
    c.end();
    expect(await c.exited).toBe(0);
    expect(c.grep(/anabela only|lobbyist only/)).toEqual([]);
  }, 20_000);
});

describe("client whose server is gone", () => {
  it("reports an error instead of hanging, then works again once the server is back", async () => {
    const c = client("--user", "frank", "--quiet", "--timeout", "300", "--retries", "1");
    c.send("/channels");
    await c.waitFor(/^channels \(/);

    expect(await cluster.stopServer("server1")).toBe(0);
    const from = c.stdout.length;
    c.send("/users");
    const err = await c.waitFor(/^error: /, 15_000, "stdout", from);
    expect(err).toContain("no reply from broker to users after 2 attempts");

    await cluster.startServer("server1");
    // Requests may still be lost while the new server connects: ask until one is answered.
    await eventually(
      async () => {
        const at = c.stdout.length;
        c.send("/users");
        expect(await c.waitFor(/^(users \(|error: )/, 15_000, "stdout", at)).toStartWith("users (");
      },
      { timeoutMs: 25_000, intervalMs: 0 },
    );
    expect(c.grep(/^users \(\d+\): .*frank/).length).toBeGreaterThan(0);
    c.end();
    expect(await c.exited).toBe(0);
  }, 40_000);
});
