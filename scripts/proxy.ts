/**
 * The pub-sub proxy: publishers (servers) connect to its XSUB (5557),
 * subscribers to its XPUB (5558); subscriptions flow up, publications down.
 * Prints one line per publication and per (un)subscription (`--quiet`: nothing).
 * @module
 */
import cac from "cac";
import { commonOptions, die, loggerFor } from "../shared/roles/cli.ts";
import { resolveEndpoints } from "../shared/roles/endpoints.ts";
import { proxyTap, runRelayRole } from "../shared/relay/relay.ts";
import { XPublisher, XSubscriber } from "../shared/zmq/index.ts";

const cli = commonOptions(cac("proxy"));
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const ep = resolveEndpoints(options, "bind");
  const hwm = { receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 };
  await runRelayRole(
    {
      sockets: [new XSubscriber(hwm), new XPublisher(hwm)],
      endpoints: [ep.proxyXsub, ep.proxyXpub],
      describe: (publishers, subscribers) => `publishers on ${publishers}, subscribers on ${subscribers}`,
      tap: proxyTap,
    },
    loggerFor("proxy", undefined, options),
    Boolean(options.quiet),
  );
} catch (e) {
  die("proxy", e);
}
