/**
 * `--secure`: the real client talks to the broker and the proxy over
 * CURVE, checking the cluster's public key. With the right key (the
 * certificate file, or the Z85 key) a registered user logs in, posts and
 * gets its private messages (the proxy knows the CURVE subscriber by the
 * X-User/X-Token metadata it sent, encrypted); with a wrong key nothing
 * gets through, and the broker says why.
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { curveKeyPair } from "../shared/zmq/index.ts";
import { Cluster } from "./helpers/cluster.ts";
import type { TestClient } from "./helpers/chat-client.ts";

let cluster: Cluster;
let bob: TestClient;

beforeAll(async () => {
  cluster = await Cluster.start({ ref: true, servers: ["server1"] });
  bob = cluster.client();
  await bob.sync("bob");
  expect((await bob.request("channel", { channel: "geral" })).data.status).toBe("sucesso");
}, 60_000);
afterAll(() => cluster?.stop());

describe("the client's --secure mode", () => {
  it("logs in as a registered user, posts, and receives its private messages over CURVE", async () => {
    const certificate = join(cluster.dataDir, "keys", "cluster.key");
    const ana = cluster.spawn("client", ["--user", "ana", "--secure", "--server-key", certificate], { stdin: "pipe", env: { CHAT_PASSWORD: "s3cret ana" } });
    ana.send("/join geral", "hello over curve");
    await ana.waitFor(/\[#geral\] ana: hello over curve/, 15_000, "stdout");
    // ana is registered now: her private messages go out on $private/ana, which the proxy
    // hands only to her authenticated subscription, here a CURVE one.
    await Bun.sleep(300);
    expect((await bob.request("message", { src: "bob", dst: "ana", message: "psst, ana" })).data.status).toBe("OK");
    await ana.waitFor(/bob.*psst, ana/, 15_000, "stdout");
    ana.end();
    const posts = (await bob.request("history", { channel: "geral" })).data.messages as { user: string; message: string }[];
    expect(posts.some((m) => m.user === "ana" && m.message === "hello over curve")).toBe(true);
  }, 40_000);

  it("takes the key as Z85 too, and gets nowhere with a wrong one", async () => {
    const good = cluster.spawn("client", ["--user", "cid", "--secure", "--server-key", cluster.trust.publicKey, "--timeout", "1000", "--retries", "0"], { stdin: "pipe" });
    good.send("/join geral", "z85 works");
    await good.waitFor(/\[#geral\] cid: z85 works/, 15_000, "stdout");
    good.end();
    const wrong = cluster.spawn("client", ["--user", "dee", "--secure", "--server-key", curveKeyPair().publicKey, "--timeout", "1000", "--retries", "0"], { stdin: "pipe" });
    wrong.send("/join geral", "should not arrive");
    wrong.end();
    expect(await wrong.exited).not.toBe(0);
    const posts = (await bob.request("history", { channel: "geral" })).data.messages as { message: string }[];
    expect(posts.map((m) => m.message)).not.toContain("should not arrive");
    expect(cluster.broker!.grep(/refused a connection to the broker's client side .*CURVE/).length).toBeGreaterThan(0);
  }, 40_000);
});
