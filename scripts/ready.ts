/**
 * Says once, in the `npm start` output, when the cluster serves clients:
 * asks the broker for the channel list until a server answers, then
 * prints "ready: open another terminal and run npm run client" and stays
 * (quietly) until stopped, because foreman stops every role when one
 * exits. Exits 0 on SIGTERM/SIGINT.
 * @module
 */
import { LamportClock } from "../shared/cluster/lamport.ts";
import { die, exitOnSignals, roleOptions } from "../shared/roles/cli.ts";
import { RpcClient } from "../shared/wire/rpc-client.ts";

const { options: o } = roleOptions("ready", ["brokerFrontend", "host"]);

try {
  const rpc = new RpcClient({ endpoint: o.brokerFrontend, clock: new LamportClock(), timeoutMs: 1000, retries: 0 });
  exitOnSignals(() => rpc.close());
  for (;;) {
    try {
      const reply = await rpc.request("channels");
      if (Array.isArray(reply.data?.channels)) break;
    } catch {
      // No server yet (or no broker): ask again.
    }
    await Bun.sleep(500);
  }
  rpc.close();
  console.log("ready: open another terminal and run npm run client");
  setInterval(() => {}, 1 << 30);
} catch (e) {
  die("ready", e);
}
