/**
 * Chaos under bot-like load: the broker and then the proxy are killed
 * (`kill -9`) and restarted on the same ports; clients and servers
 * reconnect, publishing resumes, and nothing acknowledged is lost.
 */
import { afterAll, test } from "bun:test";
import { Loaded } from "./helpers/chaos.ts";

let loaded: Loaded | undefined;
afterAll(() => loaded?.stop());

test("broker and proxy killed and restarted under load: everyone reconnects, nothing acknowledged is lost", async () => {
  loaded = await Loaded.start("mw");
  const { cluster, load } = loaded;
  await load.until(60);

  cluster.broker!.proc.kill("SIGKILL");
  await cluster.broker!.exited;
  await Bun.sleep(300);
  await cluster.startBroker(["--quiet"]);
  await load.until(load.count + 60);

  cluster.proxy!.proc.kill("SIGKILL");
  await cluster.proxy!.exited;
  await load.until(load.count + 30); // replication goes on by direct push while the proxy is down
  await cluster.startProxy(["--quiet"]);
  await load.until(load.count + 60);

  await loaded.expectNothingLost();
}, 90_000);
