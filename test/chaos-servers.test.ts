/**
 * Chaos under bot-like load: `kill -9` a server and restart it, wipe a
 * server's disk and restart it, add a fourth server mid-load. Afterwards
 * every acknowledged message is in every server's history, in the same
 * order, and all digests match.
 */
import { afterAll, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Loaded } from "./helpers/chaos.ts";

let loaded: Loaded | undefined;
afterAll(() => loaded?.stop());

test("kill -9, wiped disk and a server added, all under load: nothing acknowledged is lost", async () => {
  loaded = await Loaded.start("chaos");
  const { cluster, load } = loaded;
  await load.until(60);

  // kill -9 one server, keep publishing, restart it.
  cluster.servers.get("server2")!.proc.kill("SIGKILL");
  await cluster.servers.get("server2")!.exited;
  await load.until(load.count + 60);
  await cluster.startServer("server2");
  await load.until(load.count + 60);

  // The same with its data directory wiped before the restart.
  cluster.servers.get("server3")!.proc.kill("SIGKILL");
  await cluster.servers.get("server3")!.exited;
  await rm(join(cluster.dataDir, "server3"), { recursive: true, force: true });
  await load.until(load.count + 60);
  await cluster.startServer("server3");
  await load.until(load.count + 60);

  // A fourth server joins mid-load.
  await cluster.startServer("server4");
  loaded.names.push("server4");
  await load.until(load.count + 100);

  expect(await loaded.expectNothingLost({ peers: 3 })).toBeGreaterThanOrEqual(400);
}, 90_000);
