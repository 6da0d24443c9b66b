/**
 * The web client in a real browser (Debian's Chromium through
 * playwright-core) against a real cluster (ref, broker, proxy, two
 * servers) and the gateway role: two users log in, chat in a channel and
 * see each other's posts and a bot's within a second; private messages
 * both ways; unread counts, mention marks, the new-messages marker and
 * notifications only once allowed and only in the background; 500
 * messages of history read back by scrolling up; a terminal client
 * talking with a browser user; a name registered with a password from
 * the page, then refused without it or with a wrong one and accepted with
 * it, the password kept nowhere but in the tab's memory, and the owner's
 * private messages (a PLAIN subscription through the gateway) on her page;
 * a server killed with kill -9 and the gateway killed and started again,
 * with posts typed meanwhile queued and sent once (the owner's page logs
 * in again with the password it holds), and nothing lost or shown twice.
 * Screenshots of the page at
 * desktop and phone width go to docs/.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { freePort, ROOT, type RoleProcess } from "./helpers/process.ts";
import { waitPeers } from "./helpers/replicas.ts";
import { launch, RECORD_NOTIFICATIONS, startWeb, WebUser } from "./web/browser.ts";

let cluster: Cluster;
let web: RoleProcess;
let port: number;
let browser: Awaited<ReturnType<typeof launch>>;
let ana: WebUser;
let bob: WebUser;
/** A registered user's second tab, still open when the gateway restarts. */
let erin: WebUser;
const url = () => `http://localhost:${port}/`;

beforeAll(async () => {
  cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--heartbeat-ms", "200"] });
  await cluster.startServer("server1");
  await cluster.startServer("server2");
  await waitPeers(cluster, ["server1", "server2"], 1);
  port = await freePort();
  web = await startWeb(cluster, port);
  browser = await launch();
  await browser.ctx.addInitScript(RECORD_NOTIFICATIONS);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** How long after `text` was sent it showed on `who`'s page, in ms. */
async function shownWithin(who: WebUser, text: string, sentAt: number): Promise<number> {
  await who.waitText(text, 5000);
  return Date.now() - sentAt;
}

describe("web client in a browser", () => {
  it("two users log in, join a channel and see each other's posts and a bot's within a second", async () => {
    ana = await WebUser.open(browser.ctx, url(), "ana");
    bob = await WebUser.open(browser.ctx, url(), "bob");
    await bob.type("/join #lobby");
    await bob.waitText("created #lobby");
    await ana.type("/join #lobby");
    await ana.page.waitForSelector('.messages[data-window="#lobby"]');

    let t = Date.now();
    await ana.type("hello from ana, see https://example.org/a");
    expect(await shownWithin(bob, "hello from ana", t)).toBeLessThan(1000);
    expect(await bob.page.getAttribute('.messages a[href="https://example.org/a"]', "target")).toBe("_blank");
    t = Date.now();
    await bob.type("hi ana, bob here");
    expect(await shownWithin(ana, "hi ana, bob here", t)).toBeLessThan(1000);
    await ana.type("/me waves <b>not bold</b>");
    await bob.waitText("waves <b>not bold</b>");
    expect(await bob.page.locator(".messages b:text('not bold')").count()).toBe(0);

    // A bot posting in the channel: each post shows on the page within a second of the server storing it.
    const bot = cluster.spawn("bot", ["--user", "bot-7", "--rate", "4", "--pm-chance", "0", "--quiet"]);
    const lags: number[] = [];
    for (let i = 0; i < 3; i++) lags.push(Number(await bob.page.evaluate(NEXT_POST_FROM("bot-7"))));
    await bot.stop();
    expect(Math.max(...lags)).toBeLessThan(1000);
    expect(ana.errors.concat(bob.errors)).toEqual([]);
  }, 60_000);

  it("exchanges private messages, shows unread counts and mention marks, and notifies only when allowed and in the background", async () => {
    const notes = () => bob.page.evaluate("window.__notes.map((n) => n.title)") as Promise<string[]>;
    expect(await bob.page.evaluate("window.__asked")).toBe(0); // never asked unprompted
    await bob.page.click("text=Notify me of mentions and private messages");
    await bob.page.waitForSelector("text=Notifications on");
    expect(await bob.page.evaluate("window.__asked")).toBe(1);

    await ana.type("/msg bob hi bob, this is private");
    await eventually(async () => expect(await bob.entry("@ana")).toEqual({ unread: 1, mention: true }));
    await bob.type("/join #side");
    await bob.waitText("created #side");
    await bob.open("#lobby");
    await ana.type("/join #side");
    await ana.type("side one");
    await ana.type("side two");
    await ana.type("hey bob, look at this");
    await eventually(async () => expect(await bob.entry("#side")).toEqual({ unread: 3, mention: true }));
    expect(await bob.entry("#lobby")).toEqual({ unread: 0, mention: false });

    // In front: no notification. In the background: mentions and private messages notify.
    await ana.open("#lobby");
    await ana.type("bob: you are in front");
    await bob.waitText("bob: you are in front");
    expect(await notes()).toEqual([]);
    await bob.hidden(true);
    await ana.type("bob: are you there?");
    await ana.type("/msg bob second private");
    await eventually(async () => expect(await notes()).toEqual(["ana in #lobby", "ana (private)"]));
    await bob.hidden(false);

    await bob.open("#side");
    await bob.page.waitForSelector(".marker");
    expect(await bob.page.locator(".marker + .line .text").textContent()).toBe("side one");
    expect(await bob.entry("#side")).toEqual({ unread: 0, mention: false });
    await bob.screenshot(join(ROOT, "docs", "web-desktop.png"));

    await bob.open("@ana");
    expect(await bob.lines()).toEqual(["ana: hi bob, this is private", "ana: second private"]);
    await bob.type("hello ana, privately");
    await ana.open("@bob");
    await ana.waitText("hello ana, privately");
    expect(await ana.lines()).toEqual(["ana: hi bob, this is private", "ana: second private", "bob: hello ana, privately"]);

    await ana.page.setViewportSize({ width: 390, height: 844 });
    await ana.page.click(".menu-button");
    await ana.open("#lobby");
    await ana.page.waitForSelector(".app:not(.menu-open)");
    await ana.screenshot(join(ROOT, "docs", "web-phone.png"));
    await ana.page.click(".menu-button");
    await ana.page.waitForSelector(".menu-open .sidebar");
    await ana.screenshot(join(ROOT, "docs", "web-phone-menu.png"));
    await ana.open("#side");
    await ana.page.setViewportSize({ width: 1280, height: 800 });
    await ana.page.waitForSelector(".menu-button", { state: "hidden" });
  }, 60_000);

  it("scrolls back through 500 messages of history", async () => {
    const seed = cluster.client();
    await seed.request("login", { user: "archivist" });
    await seed.request("channel", { channel: "archive" });
    for (let i = 1; i <= 500; i++) {
      const r = await seed.request("publish", { user: "archivist", channel: "archive", message: `archive ${String(i).padStart(3, "0")}` });
      expect(r.data.status).toBe("OK");
    }
    await ana.type("/join #archive");
    await ana.waitText("archive 500");
    const box = ana.page.locator(".messages");
    for (let i = 0; i < 30; i++) {
      if (await ana.page.locator("text=This is the beginning of #archive.").count()) break;
      const before = await ana.page.locator(".messages .line").count();
      await box.evaluate((el) => (el.scrollTop = 0));
      await eventually(async () => expect(await ana.page.locator(".messages .line").count()).toBeGreaterThan(before), { timeoutMs: 5000 }).catch(() => {});
      // What was on screen stays there: the view is not thrown to the new top.
      if (i === 0) expect(await box.evaluate((el) => el.scrollTop)).toBeGreaterThan(500);
    }
    const texts = (await ana.lines()).filter((l) => l.startsWith("archivist: "));
    expect(texts).toEqual(Array.from({ length: 500 }, (_, i) => `archivist: archive ${String(i + 1).padStart(3, "0")}`));
    expect(new Set(await ana.ids()).size).toBe((await ana.ids()).length);
  }, 60_000);

  it("a terminal client and a browser user talk in a channel and in private", async () => {
    await ana.open("#lobby");
    const carol = cluster.spawnClient("--user", "carol", "--quiet");
    carol.send("/join #lobby");
    await carol.waitFor(/^\* joined #lobby/, 10_000);
    carol.send("hello from the terminal");
    await ana.waitText("hello from the terminal");
    await ana.type("hello carol, from the browser");
    await carol.waitFor(/\[#lobby\] ana: hello carol, from the browser$/, 5000);
    // /me both ways: the same wire form as the terminal client's.
    carol.send("/me nods from the terminal");
    await ana.waitText("nods from the terminal");
    expect(await ana.page.locator(".line.k-action", { hasText: "nods from the terminal" }).textContent()).toContain("* carol nods from the terminal");
    await ana.type("/me waves back");
    await carol.waitFor(/\* ana waves back$/, 5000);
    carol.send("/msg ana a word in private");
    await eventually(async () => expect(await ana.entry("@carol")).toEqual({ unread: 1, mention: true }));
    await ana.open("@carol");
    await ana.type("and one back");
    await carol.waitFor(/\[pm\] ana → carol: and one back$/, 5000);
    carol.end();
    expect(await carol.exited).toBe(0);
  }, 60_000);

  it("registers a name with a password from the page; then the form needs it, and private messages reach the owner's page", async () => {
    const PASSWORD = "erin's long pass phrase";
    const first = await WebUser.open(browser.ctx, url(), "erin", PASSWORD);
    // Private messages to a registered name go only to subscribers authenticated as her: this one came through the gateway's.
    await bob.type("/msg erin hello, registered erin");
    await eventually(async () => expect(await first.entry("@bob")).toEqual({ unread: 1, mention: true }));
    await first.open("@bob");
    await first.type("hi bob, from a registered name");
    await bob.open("@erin");
    await bob.waitText("hi bob, from a registered name");

    // A second tab: the form, with its password field and hint.
    erin = new WebUser(await browser.ctx.newPage(), "erin");
    await erin.page.goto(url());
    const field = erin.page.locator("#login-password");
    expect([await field.getAttribute("type"), await field.getAttribute("autocomplete")]).toEqual(["password", "current-password"]);
    expect(await erin.page.locator(".login-hint").textContent()).toContain("registers the name if nobody has yet");
    await erin.logIn();
    expect(await erin.refusal()).toEqual({ text: "erin is a registered name: enter its password.", about: "password" });
    expect(await erin.page.evaluate("document.activeElement.id")).toBe("login-password");
    await erin.logIn("not the one");
    expect(await erin.refusal()).toEqual({ text: "Wrong password for erin. Try again.", about: "password" });
    await erin.logIn(PASSWORD);
    await erin.online();
    await bob.type("a second word");
    await erin.open("@bob");
    await erin.waitText("a second word");
    expect(await erin.lines()).toEqual(["bob: hello, registered erin", "erin: hi bob, from a registered name", "bob: a second word"]);

    // A reload loses the password: the form asks for it again.
    await erin.page.reload();
    expect(await erin.refusal()).toEqual({ text: "Enter the password of erin again to log back in.", about: "password" });
    await erin.logIn(PASSWORD);
    await erin.online();

    // Logging out forgets it too. Nothing keeps it: storage, the URL, the gateway's log.
    await first.page.click("text=Log out");
    expect(await first.page.inputValue("#login-password")).toBe("");
    for (const u of [first, erin]) {
      const kept = String(await u.page.evaluate("JSON.stringify([{ ...localStorage }, { ...sessionStorage }, location.href])"));
      expect(kept).toContain("erin");
      expect(kept).not.toContain(PASSWORD);
    }
    expect(web.grep(/pass phrase/)).toEqual([]);
    await first.page.close();
    expect(first.errors.concat(erin.errors)).toEqual([]);
  }, 60_000);

  it("survives a server killed with kill -9 and the gateway restarted: queued posts sent once, nothing lost or doubled", async () => {
    await ana.open("#lobby");
    await bob.open("#lobby");
    const server2 = cluster.servers.get("server2")!;
    server2.proc.kill("SIGKILL");
    await server2.exited;
    await ana.type("after the kill");
    await bob.waitText("after the kill", 10_000);
    // Stored and acknowledged before the gateway goes (alone now, the server waits a moment for its lost replica).
    await eventually(async () => expect(await ana.page.locator(".status .queued").count()).toBe(0));

    web.proc.kill("SIGKILL");
    await web.exited;
    await eventually(async () => expect(await ana.state()).toBe("offline"));
    await ana.type("queued one");
    await ana.type("queued two");
    expect(await ana.page.locator(".messages .line.pending").count()).toBe(2);
    expect(await ana.page.locator(".status .queued").textContent()).toBe("2 queued");
    const dave = cluster.client();
    await dave.request("login", { user: "dave" });
    for (const n of [1, 2, 3]) await dave.request("publish", { user: "dave", channel: "lobby", message: `while away ${n}` });

    web = await startWeb(cluster, port);
    // Erin's page logs in again with the password it holds for the tab.
    for (const u of [ana, bob, erin]) await eventually(async () => expect(await u.state()).toBe("online"), { timeoutMs: 20_000 });
    await eventually(async () => expect(await ana.page.locator(".messages .line.pending").count()).toBe(0), { timeoutMs: 10_000 });
    const expected = ["dave: while away 1", "dave: while away 2", "dave: while away 3", "ana: queued one", "ana: queued two"];
    for (const u of [ana, bob]) {
      await eventually(async () => expect((await u.lines()).filter((l) => expected.includes(l))).toEqual(expected), { timeoutMs: 10_000 });
      const ids = await u.ids();
      expect(new Set(ids).size).toBe(ids.length);
    }
    const stored = (await dave.request("history", { channel: "lobby", limit: 1000 })).data.messages as { message: string }[];
    expect(stored.filter((m) => m.message === "queued one")).toHaveLength(1);
    expect(stored.filter((m) => m.message === "queued two")).toHaveLength(1);
    expect(ana.errors.concat(bob.errors, erin.errors)).toEqual([]);
  }, 60_000);
});

/** A script for the page: resolves with how long after the server stored it the next post from `user` showed. */
function NEXT_POST_FROM(user: string): string {
  return `new Promise((resolve) => {
    const box = document.querySelector(".messages");
    const known = new Set([...box.querySelectorAll(".line[data-id]")].map((e) => e.dataset.id));
    const obs = new MutationObserver(() => {
      for (const el of box.querySelectorAll(".line[data-id]")) {
        if (known.has(el.dataset.id)) continue;
        known.add(el.dataset.id);
        if (el.querySelector(".from")?.textContent === ${JSON.stringify(user)}) {
          obs.disconnect();
          resolve(Date.now() - Number(el.dataset.ts));
          return;
        }
      }
    });
    obs.observe(box, { childList: true, subtree: true });
  })`;
}
