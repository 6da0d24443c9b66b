/**
 * 10,000 subscriber connections on the real proxy, all idle on topics of
 * their own (as 10,000 connected users would be), beside one real
 * subscriber: every post still reaches the real subscriber exactly once,
 * a newcomer still subscribes and receives, and the proxy stays within a
 * stated memory bound. Functional, not timed: the speed of this case is in
 * the benchmark (`npm run bench`, its scale part).
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { ROOT, RoleProcess } from "./helpers/process.ts";

const IDLE = 10_000;
let cluster: Cluster;
let idle: RoleProcess | undefined;

beforeAll(async () => {
  const limit = Number(Bun.spawnSync(["sh", "-c", "ulimit -n"]).stdout.toString().trim());
  if (!(limit >= IDLE + 500)) throw new Error(`open-file limit ${limit} is below ${IDLE + 500}: raise it (ulimit -n) to run 10,000 connections`);
  cluster = await Cluster.start({ servers: ["server1"], brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
});
afterAll(async () => {
  await idle?.stop("SIGKILL");
  await cluster?.stop();
});

it("with 10,000 idle subscribers connected, every post reaches the real subscriber once, and a newcomer still subscribes", async () => {
  const poster = cluster.client(10_000);
  expect((await poster.request("login", { user: "ana" })).data.status).toBe("sucesso");
  expect((await poster.request("channel", { channel: "crowd" })).data.status).toBe("sucesso");
  const reader = cluster.client(10_000);
  reader.subscribe("crowd");
  await reader.sync("ana"); // its subscription is live

  idle = new RoleProcess([join(ROOT, "bench", "cluster", "idle-subscribers.ts"), cluster.endpoint("proxyXpub"), String(IDLE), "idle"], { label: "idle-subscribers" });
  await idle.waitFor(/^ready 10000$/, 120_000, "stdout");

  const sent: string[] = [];
  for (let i = 0; i < 200; i++) {
    const text = `to the crowd ${i}`;
    expect((await poster.request("publish", { user: "ana", channel: "crowd", message: text })).data.status).toBe("OK");
    sent.push(text);
  }
  const got = () => reader.deliveries.filter((d) => d.topic === "crowd").map((d) => d.payload.data.message as string);
  await eventually(() => expect(got()).toEqual(sent), { timeoutMs: 30_000 });

  const newcomer = cluster.client(10_000);
  newcomer.subscribe("crowd");
  await newcomer.sync("ana");
  expect((await poster.request("publish", { user: "ana", channel: "crowd", message: "welcome" })).data.status).toBe("OK");
  await newcomer.waitDelivery((d) => d.topic === "crowd" && d.payload.data.message === "welcome", 10_000);

  const rss = Number((await Bun.file(`/proc/${cluster.proxy!.proc.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)![1]) * 1024;
  expect(rss).toBeLessThan(600 * 1024 * 1024);
}, 240_000);
