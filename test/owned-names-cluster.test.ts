/**
 * Owned user names on a real cluster (broker, proxy, ref, two servers):
 * a name registered through one server is owned on both (its token works
 * whichever server the broker picks), a contract client that never sends
 * a password is unaffected, the real client logs in with CHAT_PASSWORD and
 * gets its private messages over a PLAIN subscription, concurrent
 * registrations end with one owner everywhere, and a stranger's Python
 * client (Debian's python3-zmq and msgpack) cannot log in, post, message
 * or read history as the owner, nor see its private messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { ChatSession } from "../shared/client/session.ts";
import type { Delivery } from "../shared/client/delivery.ts";
import { Cluster } from "./helpers/cluster.ts";
import type { TestClient } from "./helpers/chat-client.ts";
import { eventually } from "./helpers/eventually.ts";
import { RoleProcess } from "./helpers/process.ts";

const PYTHON = "/usr/bin/python3";
const ATTACKER = join(import.meta.dir, "peers", "py_attacker.py");

let cluster: Cluster;
let plain: TestClient;
const sessions: ChatSession[] = [];

beforeAll(async () => {
  cluster = await Cluster.start({ ref: true, servers: ["server1", "server2"], extraArgs: ["--heartbeat-ms", "200"] });
  await eventually(async () => {
    for (const [s, other] of [["server1", "server2"], ["server2", "server1"]]) expect((await cluster.status(s!)).peers).toContain(other);
  }, { timeoutMs: 20_000, what: "both servers up and knowing each other" });
  plain = cluster.client();
  await plain.sync("bob"); // bob never registers: a contract client
  expect((await plain.request("channel", { channel: "geral" })).data.status).toBe("sucesso");
}, 60_000);

afterAll(async () => {
  for (const s of sessions) s.close();
  await cluster?.stop();
});

function session(user: string, password?: string, onDelivery?: (d: Delivery) => void): ChatSession {
  const s = new ChatSession({
    user,
    password,
    endpoints: { brokerFrontend: cluster.endpoint("brokerFrontend"), proxyXpub: cluster.endpoint("proxyXpub") },
    timeoutMs: 5000,
    onDelivery,
  });
  sessions.push(s);
  return s;
}

/** Lines of both servers' logs matching `re`. */
function serverLines(re: RegExp): string[] {
  return [...cluster.servers.values()].flatMap((p) => p.grep(re, "any"));
}

describe("owned names on a cluster", () => {
  let token: string;
  const inbox: Delivery[] = [];

  it("registers a name, and every server takes its token", async () => {
    const login = await plain.request("login", { user: "ana", password: "correct horse" });
    token = login.data.token as string;
    expect(login.data.status).toBe("sucesso");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The broker spreads requests over both servers; each must know the session.
    for (let i = 0; i < 10; i++) expect((await plain.request("session", { user: "ana", token })).data.status).toBe("sucesso");
    for (const name of ["server1", "server2"]) {
      expect(cluster.servers.get(name)!.grep(/<- broker session/, "any").length).toBeGreaterThan(0);
    }
    expect((await plain.request("login", { user: "ana" })).data).toMatchObject({
      status: "erro",
      description: "name 'ana' is registered: log in with its password",
    });
    expect((await plain.request("login", { user: "ana", password: "wrong" })).data).toMatchObject({ status: "erro", description: "wrong password for 'ana'" });
  });

  it("the owner's session posts with its token and gets private messages over PLAIN; bob is unaffected", async () => {
    const ana = session("ana", "correct horse", (d) => inbox.push(d));
    await ana.login();
    expect(ana.authenticated).toBe(true);
    await ana.join("geral");
    await ana.publish("geral", "hello from the owner");
    await ana.message("bob", "hi bob");
    expect((await ana.history({ user: "bob" })).map((d) => (d.kind === "private" ? d.text : ""))).toContain("hi bob");
    // bob, never registered, talks to ana as the contract says; she gets it on her PLAIN subscription.
    let n = 0;
    await eventually(async () => {
      const text = `psst ${n++}`;
      expect((await plain.request("message", { src: "bob", dst: "ana", message: text })).data.status).toBe("OK");
      await Bun.sleep(100);
      expect(inbox.some((d) => d.kind === "private" && d.text === text && d.src === "bob")).toBe(true);
    }, { timeoutMs: 15_000, intervalMs: 0, what: "ana receiving bob's private message" });
    const bobPost = await plain.request("publish", { user: "bob", channel: "geral", message: "bob as ever" });
    expect(bobPost.data.status).toBe("OK");
    expect((await plain.request("history", { user: "bob", peer: "ana" })).data.status).toBe("OK");
  }, 30_000);

  it("the real client logs in with CHAT_PASSWORD and posts as the owner", async () => {
    const client = cluster.spawn("client", ["--user", "ana"], { stdin: "pipe", env: { CHAT_PASSWORD: "correct horse" } });
    client.send("/join geral", "from the terminal client");
    await client.waitFor(/\[#geral\] ana: from the terminal client/, 15_000, "stdout");
    await client.waitFor(/<- broker publish\s+status=OK/, 15_000, "stdout"); // the delivery may come before the reply
    client.end();
    const history = await plain.request("history", { channel: "geral" });
    expect((history.data.messages as { message: string }[]).map((m) => m.message)).toContain("from the terminal client");
    expect(client.output.join("\n")).not.toContain("correct horse");
  }, 30_000);

  it("concurrent registrations of one name end with one owner on every server", async () => {
    const tries = await Promise.all(["one", "two", "three", "four"].map((pw) => cluster.client().request("login", { user: "zoe", password: pw })));
    const tokens = tries.filter((t) => t.data.status === "sucesso").map((t) => String(t.data.token));
    expect(tokens.length).toBeGreaterThan(0);
    // Once replicated, exactly one registration's sessions are good, on whichever server answers.
    await eventually(async () => {
      const good = new Set<string>();
      for (const t of tokens) {
        const answers = new Set<string>();
        for (let i = 0; i < 6; i++) answers.add(String((await plain.request("session", { user: "zoe", token: t })).data.status));
        expect(answers.size).toBe(1);
        if (answers.has("sucesso")) good.add(t);
      }
      expect(good.size).toBe(1);
    }, { timeoutMs: 15_000, what: "one owner of zoe everywhere" });
    const logins = await Promise.all(["one", "two", "three", "four"].map((pw) => plain.request("login", { user: "zoe", password: pw })));
    expect(logins.filter((l) => l.data.status === "sucesso")).toHaveLength(1);
  }, 40_000);

  it("a stranger's Python client cannot act as the owner, read its history or see its private messages", async () => {
    const before = await plain.request("history", { channel: "geral" });
    const py = new RoleProcess([ATTACKER, cluster.endpoint("brokerFrontend"), cluster.endpoint("proxyXpub"), "ana", "bob", "geral", "3000"], {
      label: "py_attacker",
      executable: PYTHON,
    });
    try {
      await py.waitFor(/"event": "listening"/, 20_000, "stdout");
      for (let i = 0; i < 5; i++) {
        await plain.request("message", { src: "bob", dst: "ana", message: `secret ${i}` });
        await plain.request("publish", { user: "bob", channel: "geral", message: `public ${i}` });
        await Bun.sleep(200);
      }
      await py.waitFor(/"event": "(done|error)"/, 20_000, "stdout");
      expect(await py.exited).toBe(0);
    } finally {
      await py.stop("SIGKILL");
    }
    const lines = py.stdout.filter(Boolean).map((l) => JSON.parse(l) as { event: string; service?: string; topic?: string; data?: Record<string, any> });
    const reply = (service: string) => lines.find((l) => l.event === "reply" && l.service === service)!.data!;
    expect(reply("login")).toMatchObject({ status: "erro", description: "name 'ana' is registered: log in with its password" });
    expect(reply("publish").status).toBe("erro");
    expect(reply("publish").message).toContain("'ana' is a registered name");
    expect(reply("message").status).toBe("erro");
    expect(reply("message").message).toContain("'ana' is a registered name");
    expect(reply("history").status).toBe("erro");
    expect(reply("history").messages).toBeUndefined();
    // Its subscription was live (bob's public posts came), yet not one of ana's private messages did.
    const deliveries = lines.filter((l) => l.event === "delivery");
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.filter((l) => l.topic !== "geral")).toEqual([]);
    expect(deliveries.every((l) => l.data?.user === "bob")).toBe(true);
    // Nothing stored: the channel and the conversation hold no forgery.
    const after = await plain.request("history", { channel: "geral" });
    const texts = (after.data.messages as { message: string }[]).map((m) => m.message);
    expect(texts.filter((t) => !/^public \d$/.test(t))).toEqual((before.data.messages as { message: string }[]).map((m) => m.message));
    expect(texts).not.toContain("forged post");
    const conv = await plain.request("history", { user: "ana", peer: "bob", token, limit: 1000 });
    expect((conv.data.messages as { message: string }[]).map((m) => m.message)).not.toContain("forged message");
    // The servers that were asked said so in their logs.
    for (const re of [/refused login as registered 'ana' without a password/, /refused publish as 'ana' without a token/, /refused a message from 'ana' without a token/, /refused the private history of 'ana' without a token/]) {
      expect(serverLines(re).length).toBeGreaterThan(0);
    }
  }, 60_000);
});
