/**
 * The real client in a real terminal: `scripts/client.ts` in a tmux pane
 * (120×30 unless said otherwise) against a real cluster, driven with keys
 * and judged by what is on the screen. A long wrapped input while
 * messages arrive (every message shown, the input intact), windows and
 * their activity counts, a mention highlighted and rung, the backlog on
 * joining, join and part lines from presence, the disconnected state with
 * a post queued and delivered once on reconnection, the start with no
 * cluster, Ctrl-C, the input history across runs, and `npm start`'s ready
 * line. Each test has its own tmux server, killed afterwards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";
import type { TestClient } from "./helpers/chat-client.ts";
import { eventually } from "./helpers/eventually.ts";
import { freePort } from "./helpers/process.ts";
import type { TmuxScreen } from "./tmux/tmux-screen.ts";
import { TerminalClients, type ClientLaunch } from "./tmux/terminal-clients.ts";

let cluster: Cluster;
let bob: TestClient;
const clients = new TerminalClients(() => cluster);

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"], brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
  bob = cluster.client();
  for (const user of ["bob", "carol"]) expect((await bob.request("login", { user })).data.status).toBe("sucesso");
}, 30_000);

afterEach(() => clients.killAll());

afterAll(async () => {
  await cluster?.stop();
  clients.removeHomes();
});

const home = (config?: Record<string, unknown>) => clients.home(config);
const client = (user: string | null, opts?: ClientLaunch) => clients.start(user, opts);

/** Posts as bob in `channel` until the screen shows one (a new subscription takes a moment to reach the publishers). */
async function warmUp(s: TmuxScreen, channel: string): Promise<void> {
  let i = 0;
  await eventually(async () => {
    await bob.request("publish", { user: "bob", channel, message: `warm-up ${i++}` });
    await s.waitFor(/<bob> warm-up \d+/, 300);
  }, { timeoutMs: 15_000, intervalMs: 0, what: `bob's post shown in #${channel}` });
}

const statusBar = (rows: string[]) => rows.at(-2)!;

describe("the client in a terminal", () => {
  it("shows every message that arrives while a long line is typed, above the input, which stays intact", async () => {
    const s = client("ana");
    await s.waitFor(/logged in as ana/);
    s.line("/join #geral");
    await s.waitFor(/you joined #geral/);
    await warmUp(s, "geral");
    const typed = Array.from({ length: 15 }, (_, i) => `word${String(i).padStart(2, "0")}ab`).join(" ").padEnd(150, "z");
    s.type(typed);
    for (let i = 1; i <= 6; i++) await bob.request("publish", { user: "bob", channel: "geral", message: `incoming ${i}` });
    const rows = await s.until((r) => expect(r.filter((l) => /<bob> incoming \d$/.test(l))).toHaveLength(6));
    // The input: the prompt and 150 characters over two rows at the bottom, once; no stray prompt anywhere.
    expect(rows.at(-2)).toBe("[#geral] " + typed.slice(0, 111));
    expect(rows.at(-1)!.trimEnd()).toBe(typed.slice(111));
    expect(rows.filter((l) => l.includes("[#geral] "))).toHaveLength(1);
    expect(rows.at(-3)).toMatch(/^\[\d\d:\d\d\] \[ana\] \[2:#geral\]/);
    s.keys("Enter");
    // Posted: it shows as a message (wrapped) and the input is empty again.
    const after = await s.until((r) => expect(r.some((l) => l.includes(`<ana> ${typed.slice(0, 40)}`))).toBe(true));
    expect(after.at(-1)).toBe("[#geral]");
  }, 40_000);

  it("keeps one window per channel and conversation, counts unread messages, and highlights and rings a mention", async () => {
    // Autojoin: window 2 for #geral (current), window 3 for #news.
    const s = client("dave", { dir: home({ autojoin: ["geral", "news"] }) });
    await s.waitFor(/you joined #geral/);
    await warmUp(s, "geral");
    s.keys("M-3");
    await s.until((r) => expect(r[0]).toMatch(/^ #news/));
    await s.waitFor(/you joined #news/);
    await warmUp(s, "news");
    expect(statusBar(s.capture())).toContain("[3:#news]");
    await bob.request("publish", { user: "bob", channel: "geral", message: "just chatting" });
    await bob.request("publish", { user: "bob", channel: "geral", message: "dave, are you there?" });
    await bob.request("message", { src: "bob", dst: "dave", message: "a word in private" });
    // #geral: 2 unread with a mention; a new window 4 for the private message.
    await s.until((r) => expect(statusBar(r)).toMatch(/\[Act: 2:#geral\(2!\) 4:@bob\(1!\)\]/));
    expect(s.raw()).toContain("\x07");
    s.keys("M-2");
    const geral = await s.until((r) => expect(r[0]).toMatch(/^ #geral · \d here: .*dave/));
    expect(statusBar(geral)).toMatch(/\[2:#geral\] \[Act: 4:@bob\(1!\)\]$/);
    const styled = s.captureStyled().split("\n").find((l) => l.includes("are you there"))!;
    expect(styled).toMatch(/\x1b\[[0-9;]*7[0-9;]*m(\x1b\[[0-9;]*m)*<bob>/); // the nick in reverse video
    expect(styled).toMatch(/\x1b\[[0-9;]*1[0-9;]*m(\x1b\[[0-9;]*m)*dave, are you there\?/); // the text bold
    s.line("/next");
    await s.until((r) => expect(statusBar(r)).toContain("[3:#news]"));
    s.keys("C-n");
    const query = await s.until((r) => expect(r[0]).toMatch(/^ @bob · private conversation/));
    expect(query.some((l) => /<bob> a word in private$/.test(l))).toBe(true);
    expect(statusBar(query)).not.toContain("Act:");
    s.line("/window 1");
    const status = await s.until((r) => expect(statusBar(r)).toContain("[1:status]"));
    // The protocol log is in window 1, never in a conversation.
    expect(status.some((l) => /client\/dave <- broker/.test(l))).toBe(true);
    s.keys("M-2");
    const again = await s.until((r) => expect(statusBar(r)).toContain("[2:#geral]"));
    expect(again.some((l) => l.includes("client/dave"))).toBe(false);
  }, 40_000);

  it("shows the last 20 messages on joining a channel, then a marker, and who is there", async () => {
    await bob.request("channel", { channel: "old" });
    for (let i = 1; i <= 25; i++) await bob.request("publish", { user: "bob", channel: "old", message: `old message ${i}` });
    const s = client("erin");
    await s.waitFor(/logged in as erin/);
    s.line("/join #old");
    const rows = await s.until((r) => expect(r.some((l) => /end of backlog: the last 20 messages of #old/.test(l))).toBe(true));
    const shown = rows.filter((l) => /<bob> old message \d+$/.test(l)).map((l) => Number(/(\d+)$/.exec(l)![1]));
    expect(shown).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
    const marker = rows.findIndex((l) => l.includes("end of backlog"));
    expect(rows.findIndex((l) => l.endsWith("old message 25"))).toBeLessThan(marker);
    await s.waitFor(/in #old now \(\d+\): .*erin/);
  }, 30_000);

  it("shows who joins and leaves a channel, from presence", async () => {
    const s = client("fay");
    await s.waitFor(/logged in as fay/);
    s.line("/join #meet");
    await s.waitFor(/you joined #meet/);
    const carol = cluster.spawnClient("--user", "carol", "--quiet");
    carol.send("/join #meet");
    await s.waitFor(/carol has joined #meet/, 15_000);
    s.line("/names");
    await s.waitFor(/in #meet now \(2\): carol, fay/);
    carol.send("/leave");
    await s.waitFor(/carol has left #meet/, 15_000);
    carol.end();
    expect(await carol.exited).toBe(0);
  }, 40_000);

  it("says when the cluster is gone, queues what is posted meanwhile, and sends it once when back", async () => {
    const s = client("gus", { args: ["--timeout", "500", "--retries", "1"] });
    await s.waitFor(/logged in as gus/);
    s.line("/join #ops");
    await s.waitFor(/you joined #ops/);
    await warmUp(s, "ops");
    await cluster.proxy!.stop();
    await cluster.stopServer("server1");
    await s.until((r) => expect(statusBar(r)).toContain("[disconnected]"), 15_000);
    await s.waitFor(/-!- disconnected: .*proxy at tcp:\/\/127\.0\.0\.1:\d+/);
    s.line("sent while away");
    await s.until((r) => expect(statusBar(r)).toContain("[disconnected: 1 queued]"));
    await s.waitFor(/<gus> sent while away \(queued: sent when the connection is back\)/);
    await cluster.startProxy(["--quiet"]);
    await cluster.startServer("server1");
    await s.waitFor(/-!- reconnected: sending 1 queued post/, 20_000);
    const rows = await s.until((r) => expect(r.some((l) => /^\d\d:\d\d <gus> sent while away$/.test(l))).toBe(true), 20_000);
    expect(statusBar(rows)).not.toContain("disconnected");
    expect(rows.filter((l) => l.includes("sent while away"))).toHaveLength(1);
    // Stored once, whatever the retries.
    const h = await eventually(() => bob.request("history", { channel: "ops", limit: 50 }));
    const texts = (h.data.messages as { message: string }[]).map((m) => m.message);
    expect(texts.filter((t) => t === "sent while away")).toHaveLength(1);
    // And the deliveries flow again.
    await warmUp(s, "ops");
  }, 60_000);

  it("after the proxy comes back, shows what was posted while it was gone", async () => {
    const s = client("ivy", { args: ["--timeout", "500", "--retries", "1"] });
    await s.waitFor(/logged in as ivy/);
    s.line("/join #gap");
    await s.waitFor(/you joined #gap/);
    await warmUp(s, "gap");
    await cluster.proxy!.stop();
    await s.until((r) => expect(statusBar(r)).toContain("[disconnected]"), 15_000);
    // Stored by the server, but its delivery goes nowhere.
    expect((await bob.request("publish", { user: "bob", channel: "gap", message: "said in the gap" })).data.status).toBe("OK");
    await cluster.startProxy(["--quiet"]);
    await s.waitFor(/-!- reconnected/, 20_000);
    await s.waitFor(/1 message while you were away/, 10_000);
    await s.waitFor(/<bob> said in the gap$/);
  }, 40_000);

  it("with no cluster, says where it connects at once, and why nothing answers", async () => {
    const ports = await Promise.all([freePort(), freePort()]);
    const s = client("hal", { endpoints: ["--broker-frontend", String(ports[0]), "--proxy-xpub", String(ports[1])], args: ["--timeout", "300", "--retries", "0", "--verbose"] });
    await s.waitFor(new RegExp(`connecting to the broker at tcp://127\\.0\\.0\\.1:${ports[0]} and the proxy at tcp://127\\.0\\.0\\.1:${ports[1]}`), 3000);
    await s.waitFor(new RegExp(`no server answers through the broker at tcp://127\\.0\\.0\\.1:${ports[0]}`), 5000);
    expect(statusBar(s.capture())).toContain("[connecting…]");
    // --verbose: the protocol log in the current window too (window commands work before logging in).
    s.line("/query nobody");
    await s.until((r) => expect(r[0]).toMatch(/^ @nobody/));
    await s.waitFor(/client\/hal -> broker login/, 8000);
    s.keys("M-1");
    // Resized: every row redrawn to the new width, the typed line wrapped anew.
    s.type("x".repeat(100));
    s.resize(60, 12);
    const small = await s.until((r) => {
      expect(r).toHaveLength(12);
      expect(r.at(-1)).toBe("x".repeat(49));
    });
    expect(small.at(-2)).toBe("[status] " + "x".repeat(51));
    expect(small.at(-3)).toMatch(/^\[\d\d:\d\d\] \[hal\] \[1:status\] \[connecting…\]/);
  }, 20_000);

  it("clears a typed line on Ctrl-C, quits on a second Ctrl-C, and remembers typed lines in the next run", async () => {
    const dir = home();
    const s = client("ida", { dir });
    await s.waitFor(/logged in as ida/);
    s.line("/channels");
    await s.waitFor(/channels \(\d+\)/);
    s.type("half typed");
    s.keys("C-c");
    await s.until((r) => expect(r.at(-1)).toBe("[status]"));
    expect(s.exited).toBe(false);
    s.keys("Up");
    await s.until((r) => expect(r.at(-1)).toBe("[status] half typed"));
    s.keys("C-u", "C-c");
    await s.waitFor(/press Ctrl-C again to quit/);
    s.keys("C-c");
    await eventually(() => expect(s.exited).toBe(true), { timeoutMs: 5000 });
    const next = client("ida", { dir });
    await next.waitFor(/logged in as ida/);
    next.keys("Up");
    await next.until((r) => expect(r.at(-1)).toBe("[status] /channels"));
  }, 30_000);

  it("asks for the user name when there is none, and takes the nick from the config file otherwise", async () => {
    const s = client(null);
    await s.until((r) => expect(r.at(-1)).toBe("user name:"));
    s.line("ana smith");
    await s.waitFor(/logged in as ana smith/);
    const t = client(null, { dir: home({ nick: "007" }) });
    await t.waitFor(/logged in as 007$/);
  }, 20_000);
});

describe("npm start's ready line", () => {
  it("prints the line once, when a server answers, and stays until stopped", async () => {
    const ready = cluster.spawn("ready");
    await ready.waitFor(/^ready: open another terminal and run npm run client$/, 15_000);
    await Bun.sleep(700);
    expect(ready.grep(/ready:/)).toHaveLength(1);
    expect(ready.running).toBe(true);
    expect(await ready.stop()).toBe(0);
  }, 20_000);
});
