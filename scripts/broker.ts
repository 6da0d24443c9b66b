/**
 * The broker: clients' REQ/DEALER sockets connect to its ROUTER (5555),
 * servers connect to its DEALER (5556), which spreads requests round-robin.
 * Prints one line per request and reply it forwards (`--quiet`: nothing).
 * @module
 */
import cac from "cac";
import { commonOptions, die, exitOnSignals, loggerFor } from "../shared/cli.ts";
import { resolveEndpoints } from "../shared/config.ts";
import { brokerTap, relay } from "../shared/relay.ts";
import { Dealer, Router } from "../shared/zmq/index.ts";

const cli = commonOptions(cac("broker"));
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const ep = resolveEndpoints(options, "bind");
  const log = loggerFor("broker", undefined, options);
  const frontend = new Router({ receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 });
  const backend = new Dealer({ receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 });
  await frontend.bind(ep.brokerFrontend);
  await backend.bind(ep.brokerBackend);
  log.info(`clients on ${frontend.lastEndpoint}, servers on ${backend.lastEndpoint}`);
  exitOnSignals(() => {
    frontend.close();
    backend.close();
  });
  await relay(frontend, backend, options.quiet ? undefined : brokerTap(log));
} catch (e) {
  die("broker", e);
}
