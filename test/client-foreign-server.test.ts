/**
 * Our real client and bot against a foreign server (test/peers/py_flat_server.py,
 * Python on Debian's libzmq), the loose way other teams write them: flat
 * replies and flat deliveries, status words in every spelling, timestamps
 * as ISO strings and seconds, and no `history`. Asserts what a user reads
 * on stdout. Needs /usr/bin/python3 with python3-zmq and python3-msgpack:
 * without them the suite fails, it does not skip.
 */
import { afterEach, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { timeOfDay } from "../shared/client/render.ts";
import { TestClient } from "./helpers/chat-client.ts";
import { RoleProcess, spawnRole } from "./helpers/process.ts";

const PYTHON = "/usr/bin/python3";
const SERVER = join(import.meta.dir, "peers", "py_flat_server.py");
/** Every timestamp the server sends is this instant, in one form or another. */
const SERVER_TIME = "2001-02-03T04:05:06Z";
const SHOWN_TIME = timeOfDay(Date.parse(SERVER_TIME));

const stops: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of stops.splice(0).reverse()) await f();
});

beforeAll(() => {
  const probe = Bun.spawnSync([PYTHON, "-c", "import zmq, msgpack"]);
  if (probe.exitCode !== 0) {
    throw new Error(`${PYTHON} cannot import zmq and msgpack (apt-get install python3-zmq python3-msgpack): ${probe.stderr.toString()}`);
  }
});

/** Starts the foreign server; resolves with its two ports once it has bound them. */
async function flatServer(...args: string[]) {
  const proc = new RoleProcess([SERVER, "--time", SERVER_TIME, ...args], { label: "py_flat_server", executable: PYTHON });
  stops.push(async () => {
    expect(await proc.stop("SIGTERM")).toBe(0);
  });
  const ready = JSON.parse(await proc.waitFor(/"event": "ready"/, 10_000, "stdout")) as { requests: number; deliveries: number };
  const events = () => proc.stdout.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { proc, ...ready, events, endpoints: [`tcp://127.0.0.1:${ready.requests}`, `tcp://127.0.0.1:${ready.deliveries}`] as const };
}

function client(server: { requests: number; deliveries: number }, ...args: string[]): RoleProcess {
  const c = spawnRole("client", ["--broker-frontend", String(server.requests), "--proxy-xpub", String(server.deliveries), ...args], { stdin: "pipe" });
  stops.push(() => c.stop());
  return c;
}

/** Another user on the same server, on our test transport. */
async function otherUser(server: { endpoints: readonly [string, string] }, user: string): Promise<TestClient> {
  const t = new TestClient(server.endpoints[0], server.endpoints[1]);
  stops.push(() => t.close());
  expect((await t.request("login", { user })).data.status).toBe("ok");
  return t;
}

describe("the client against a foreign flat-delivery server", () => {
  it("shows flat posts and display lines, reads every status spelling, and explains the missing history", async () => {
    const server = await flatServer("--channels", "general");
    const ana = client(server, "--user", "ana", "--quiet");
    ana.send("/join #general");
    // Refused as existing ("error" + `error` text), then found in the list: joined, not created.
    expect(await ana.waitFor(/^\* joined #general/)).toBe("* joined #general");

    const bob = await otherUser(server, "bob");
    await bob.warmUp(ana, "bob", "general");
    await bob.request("publish", { user: "bob", channel: "general", message: "hi from bob" });
    await bob.request("message", { src: "bob", dst: "ana", message: "psst ana" });
    await ana.waitFor(/\[pm\] \[pm\] bob: psst ana$/);

    ana.send(
      "hello from ana",
      "/join #news",
      "x".repeat(150),
      "/msg nobody hi",
      "/msg ana note to self",
      "/history #general",
      "/history bob 5",
      "/users",
      "/channels",
    );
    ana.end();
    expect(await ana.exited).toBe(0);
    const exactly = (line: string) => ana.grep(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));

    // Flat `{user, message, timestamp: ISO}` on the channel topic: a post, at the server's time.
    expect(exactly(`${SHOWN_TIME} [#general] bob: hi from bob`)).toHaveLength(1);
    // `{message: "[pm] bob: psst ana", timestamp}` on our own topic: the line as is.
    expect(exactly(`${SHOWN_TIME} [pm] [pm] bob: psst ana`)).toHaveLength(1);
    expect(exactly(`${SHOWN_TIME} [pm] [pm] ana: note to self`)).toHaveLength(1);
    // Our own post comes back without our id: shown once, not once from the ack and again.
    expect(exactly(`${SHOWN_TIME} [#general] ana: hello from ana`)).toHaveLength(1);
    expect(exactly("* joined #news (new channel)")).toHaveLength(1);
    // Errors as errors, in the server's words or saying it gave none.
    expect(exactly("error: publish: message longer than 140 characters")).toHaveLength(1);
    expect(ana.grep(/xxxxxxxxxx/)).toEqual([]);
    expect(exactly("error: message: the server refused without giving a reason")).toHaveLength(1);
    expect(exactly("error: this server does not offer history: unknown service history")).toHaveLength(2);
    expect(ana.grep(/history of|0 messages/)).toEqual([]);
    // Flat list replies.
    expect(exactly("users (2): ana, bob")).toHaveLength(1);
    expect(exactly("channels (2): general, news")).toHaveLength(1);
    expect(ana.stderr).toEqual([]);
  }, 30_000);

  it("logs each reply, enveloped or flat, and shows its own post once", async () => {
    const server = await flatServer("--channels", "general");
    const ana = client(server, "--user", "ana");
    ana.send("/join #general", "logged post", "/users");
    ana.end();
    expect(await ana.exited).toBe(0);
    expect(ana.grep(/client\/ana <- broker login\s+status=ok$/)).toHaveLength(1);
    expect(ana.grep(/client\/ana <- broker channel\s+status=error$/)).toHaveLength(1);
    expect(ana.grep(/client\/ana <- broker (channels|users)$/)).toHaveLength(2);
    // The post is shown once, whether its flat delivery came before its ack or after.
    expect(ana.grep(/\[#general\] ana: logged post$/)).toHaveLength(1);
    expect(ana.grep(/^users \(1\): ana$/)).toHaveLength(1);
  }, 20_000);
});

describe("the bot against a foreign flat-delivery server", () => {
  it("posts through refusals with no reason, flat replies and a private message, then stops by itself", async () => {
    const server = await flatServer("--channels", "general", "--users", "ana", "--refuse-every", "3");
    const reader = client(server, "--user", "ana", "--quiet");
    reader.send("/join #general");
    await reader.waitFor(/^\* joined #general$/);

    const bot = spawnRole("bot", [
      "--broker-frontend", String(server.requests), "--proxy-xpub", String(server.deliveries),
      "--user", "bot-py", "--rate", "50", "--count", "12", "--pm-chance", "1",
    ]);
    stops.push(() => bot.stop());
    await reader.waitFor(new RegExp(`^${SHOWN_TIME} \\[#general\\] bot-py: \\S`), 20_000);
    expect(await bot.exited).toBe(0);
    expect(bot.grep(/done: 12 posts$/)).toHaveLength(1);
    // Every third publish was refused ("error", no text): logged, and the bot carried on.
    expect(bot.stderr.filter((l) => l.endsWith("publish: the server refused without giving a reason")).length).toBeGreaterThanOrEqual(5);
    // It read its own flat deliveries.
    expect(bot.grep(/bot\/bot-py <- pub:general \(flat\)/).length).toBeGreaterThan(0);

    const stored = server.events().filter((e) => e.event === "stored");
    expect(stored.filter((e) => e.kind === "post" && e.user === "bot-py")).toHaveLength(12);
    // After its burst of 10 it listed the users (a flat reply) and wrote to the only other one.
    expect(stored.filter((e) => e.kind === "pm")).toEqual([expect.objectContaining({ src: "bot-py", dst: "ana" })]);
    reader.end();
    expect(await reader.exited).toBe(0);
  }, 40_000);
});
