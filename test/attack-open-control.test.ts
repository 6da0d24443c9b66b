/**
 * The control for test/attack-cluster.test.ts: the same stranger against a
 * cluster started with `--open` gets through, which is what that mode's
 * warning says, and shows that the attack tests can fail. Every role of an
 * open cluster prints the warning at start.
 * @module
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import { eventually } from "./helpers/eventually.ts";
import { RoleProcess } from "./helpers/process.ts";

const STRANGER = join(import.meta.dir, "peers", "py_stranger.py");
const WARNING = /OPEN MODE \(--open\): internal ports take anyone/;
let c: Cluster;

beforeAll(async () => {
  c = await Cluster.start({ ref: true, extraArgs: ["--open", "--heartbeat-ms", "200"] });
  for (const n of ["server1", "server2"]) await c.startServer(n);
}, 60_000);
afterAll(() => c?.stop());

test("every role of an open cluster says so at start", () => {
  for (const p of [c.ref!, c.broker!, c.proxy!, ...c.servers.values()]) expect(p.grep(WARNING, "any").length).toBe(1);
});

test("in open mode a stranger's clock-adjust moves a server's clock by an hour", async () => {
  const coordinator = await eventually(
    async () => {
      const s = await c.status("server1");
      if (!s.coordinator) throw new Error("no coordinator yet");
      return s.coordinator;
    },
    { timeoutMs: 20_000, what: "a coordinator" },
  );
  const before = (await c.status("server1")).offset;
  const p = new RoleProcess([STRANGER, "shift-clock", "--endpoint", c.peerEndpoint("server1"), "--coordinator", coordinator, "--adjust-ms", "3600000"], {
    executable: "/usr/bin/python3",
    label: "stranger",
  });
  try {
    const o = JSON.parse(await p.waitFor(/"event": "result"/, 15_000, "stdout")) as { answered: boolean };
    expect(o.answered).toBe(true);
  } finally {
    await p.stop("SIGTERM", 1000);
  }
  expect((await c.status("server1")).offset - before).toBeGreaterThan(30 * 60_000);
}, 40_000);
