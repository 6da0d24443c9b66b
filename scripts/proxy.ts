/**
 * The pub-sub proxy: publishers (servers) connect to its XSUB (5557),
 * subscribers to its XPUB (5558); subscriptions flow up, publications down.
 * Prints one line per publication and per (un)subscription (`--quiet`: nothing).
 * @module
 */
import { die, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { proxyTap, runRelayRole } from "../shared/relay/relay.ts";
import { XPublisher, XSubscriber } from "../shared/zmq/index.ts";

const { options } = roleOptions("proxy", ["proxyXsub", "proxyXpub", "json", "quiet"], { bind: ["proxyXsub", "proxyXpub"] });

try {
  const hwm = { receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 };
  await runRelayRole(
    {
      sockets: [new XSubscriber(hwm), new XPublisher(hwm)],
      endpoints: [options.proxyXsub, options.proxyXpub],
      describe: (publishers, subscribers) => `publishers on ${publishers}, subscribers on ${subscribers}`,
      tap: proxyTap,
    },
    loggerFor("proxy", undefined, options),
    options.quiet,
  );
} catch (e) {
  die("proxy", e);
}
