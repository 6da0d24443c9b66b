/**
 * The pub-sub proxy: publishers (servers) connect to its XSUB (5557),
 * subscribers to its XPUB (5558); subscriptions flow up, publications down.
 * Prints one line per publication and per (un)subscription (`--quiet`: nothing).
 * @module
 */
import cac from "cac";
import { commonOptions, die, exitOnSignals, loggerFor } from "../shared/cli.ts";
import { resolveEndpoints } from "../shared/config.ts";
import { proxyTap, relay } from "../shared/relay.ts";
import { XPublisher, XSubscriber } from "../shared/zmq/index.ts";

const cli = commonOptions(cac("proxy"));
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const ep = resolveEndpoints(options, "bind");
  const log = loggerFor("proxy", undefined, options);
  const xsub = new XSubscriber({ receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 });
  const xpub = new XPublisher({ receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 });
  await xsub.bind(ep.proxyXsub);
  await xpub.bind(ep.proxyXpub);
  log.info(`publishers on ${xsub.lastEndpoint}, subscribers on ${xpub.lastEndpoint}`);
  exitOnSignals(() => {
    xsub.close();
    xpub.close();
  });
  await relay(xsub, xpub, options.quiet ? undefined : proxyTap(log));
} catch (e) {
  die("proxy", e);
}
