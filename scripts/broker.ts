/**
 * The broker: clients' REQ/DEALER sockets connect to its ROUTER (5555),
 * servers connect to its DEALER (5556), which spreads requests round-robin.
 * Prints one line per request and reply it forwards (`--quiet`: nothing).
 * @module
 */
import cac from "cac";
import { commonOptions, die, loggerFor } from "../shared/roles/cli.ts";
import { resolveEndpoints } from "../shared/roles/endpoints.ts";
import { brokerTap, runRelayRole } from "../shared/relay/relay.ts";
import { Dealer, Router } from "../shared/zmq/index.ts";

const cli = commonOptions(cac("broker"));
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const ep = resolveEndpoints(options, "bind");
  const hwm = { receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 };
  await runRelayRole(
    {
      sockets: [new Router(hwm), new Dealer(hwm)],
      endpoints: [ep.brokerFrontend, ep.brokerBackend],
      describe: (clients, servers) => `clients on ${clients}, servers on ${servers}`,
      tap: brokerTap,
    },
    loggerFor("broker", undefined, options),
    Boolean(options.quiet),
  );
} catch (e) {
  die("broker", e);
}
