/**
 * The broker's bounds, against the real processes: a request frame larger
 * than any request of ours (a stranger sending 1 MiB, or 60 MB) costs the
 * sender its connection, with a line in the broker's log, and nothing else:
 * other clients go on being served, and the broker does not grow.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { MAX_REQUEST_BYTES } from "../shared/wire/protocol.ts";
import { Request } from "../shared/zmq/index.ts";
import { Cluster } from "./helpers/cluster.ts";

let cluster: Cluster;
beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"] });
});
afterAll(() => cluster?.stop());

it("drops a client that sends an oversized request and keeps serving everyone else", async () => {
  const normal = cluster.client();
  expect((await normal.request("login", { user: "ana" })).data.status).toBe("sucesso");

  const stranger = new Request({ receiveTimeout: 1500, linger: 0 });
  stranger.connect(cluster.endpoint("brokerFrontend"));
  try {
    await stranger.send(Buffer.alloc(MAX_REQUEST_BYTES * 2, 0x61));
    await expect(stranger.receive()).rejects.toThrow(); // no reply: the connection was dropped
  } finally {
    stranger.close();
  }
  await cluster.broker!.waitFor(/client .* dropped: .*maxMessageSize/, 5000);

  expect((await normal.request("users")).data.users).toEqual(["ana"]);
  const rss = Number((await Bun.file(`/proc/${cluster.broker!.proc.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)![1]) * 1024;
  expect(rss).toBeLessThan(300 * 1024 * 1024);
});
