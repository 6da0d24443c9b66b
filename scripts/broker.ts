/**
 * The broker: clients' REQ/DEALER sockets connect to its ROUTER (5555),
 * servers connect to its DEALER (5556), which spreads requests round-robin.
 * Prints one line per request and reply it forwards (`--quiet`: nothing).
 * @module
 */
import { die, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { brokerTap, runRelayRole } from "../shared/relay/relay.ts";
import { Dealer, Router } from "../shared/zmq/index.ts";

const { options } = roleOptions("broker", ["brokerFrontend", "brokerBackend", "json", "quiet"], { bind: ["brokerFrontend", "brokerBackend"] });

try {
  const hwm = { receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 };
  await runRelayRole(
    {
      sockets: [new Router(hwm), new Dealer(hwm)],
      endpoints: [options.brokerFrontend, options.brokerBackend],
      describe: (clients, servers) => `clients on ${clients}, servers on ${servers}`,
      tap: brokerTap,
    },
    loggerFor("broker", undefined, options),
    options.quiet,
  );
} catch (e) {
  die("broker", e);
}
