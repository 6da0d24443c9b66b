import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Cluster } from "./helpers/cluster.ts";

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"], brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
}, 30_000);

afterAll(() => cluster?.stop());

describe("bot", () => {
  it("two bots post to the only channel while a client reads along", async () => {
    const c = cluster.spawnClient("--user", "reader", "--quiet");
    c.send("/join #geral");
    await c.waitFor(/^\* joined #geral/);

    const bots = ["bot-one", "bot-two"].map((user) => cluster.spawn("bot", ["--user", user, "--rate", "20", "--pm-chance", "0"]));
    await c.waitFor(/\[#geral\] bot-one: \S/, 20_000);
    await c.waitFor(/\[#geral\] bot-two: \S/, 20_000);
    // Each bot logs what it sends and what it receives.
    await bots[0]!.waitFor(/bot\/bot-one -> broker publish .*channel=geral/);
    await bots[0]!.waitFor(/bot\/bot-one <- pub:geral publish/);
    for (const b of bots) expect(await b.stop()).toBe(0);
    c.end();
    expect(await c.exited).toBe(0);
  }, 40_000);

  it("exits 0 on SIGTERM", async () => {
    const bot = cluster.spawn("bot", ["--rate", "5"]);
    const line = await bot.waitFor(/logged in as bot-[0-9a-f]{4}$/, 15_000);
    expect(line).toMatch(/bot\/bot-[0-9a-f]{4}/);
    await bot.waitFor(/-> broker publish/, 15_000);
    expect(await bot.stop("SIGTERM")).toBe(0);
    expect(bot.grep(/stopped/).length).toBe(1);
  }, 30_000);

  it("stops by itself after --count posts, each stored once, and sends private messages", async () => {
    const watcher = cluster.client();
    await watcher.request("login", { user: "watcher" });
    watcher.subscribe("watcher");
    const bot = cluster.spawn("bot", ["--user", "bot-count", "--rate", "50", "--count", "12", "--pm-chance", "1"]);
    expect(await bot.exited).toBe(0);
    expect(bot.grep(/-> broker publish/).length).toBe(12);
    expect(bot.grep(/done: 12 posts/).length).toBe(1);

    const chans = (await watcher.request("channels")).data.channels as string[];
    let stored = 0;
    for (const channel of chans) {
      const h = await watcher.request("history", { channel, limit: 1000 });
      stored += (h.data.messages as { user: string }[]).filter((m) => m.user === "bot-count").length;
    }
    expect(stored).toBe(12);
    // After its first burst of 10 it sent one private message to a random other user.
    const users = ((await watcher.request("users")).data.users as string[]).filter((u) => u !== "bot-count");
    const pms = await Promise.all(
      users.map(async (peer) => {
        const h = await watcher.request("history", { user: "bot-count", peer, limit: 10 });
        return ((h.data.messages as unknown[]) ?? []).length;
      }),
    );
    expect(pms.reduce((a, b) => a + b, 0)).toBe(1);
  }, 30_000);

  it("refuses bad flags with a clear error and exit code 1", async () => {
    const bot = cluster.spawn("bot", ["--rate", "fast"]);
    expect(await bot.exited).toBe(1);
    expect(bot.grep(/--rate must be a number/).length).toBe(1);
  }, 15_000);
});
