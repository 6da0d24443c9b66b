/**
 * The broker: clients' REQ/DEALER sockets connect to its ROUTER (5555),
 * servers (REP or DEALER, ours or anyone's) to its ROUTER on 5556 (named
 * DEALER in the handshake, as REP servers require); each request goes to
 * the least loaded server in rotation, and a server that freezes leaves
 * the rotation with its requests answered by another
 * (shared/relay/balancer.ts). Prints one line per request and reply it
 * forwards (`--quiet`: nothing).
 * @module
 */
import { die, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { runBroker, ServerSide } from "../shared/relay/broker.ts";
import { brokerTap, runRelayRole } from "../shared/relay/relay.ts";
import { MAX_REQUEST_BYTES } from "../shared/wire/protocol.ts";
import { Router, type ZSocket } from "../shared/zmq/index.ts";

const { options } = roleOptions("broker", ["brokerFrontend", "brokerBackend", "json", "quiet"], { bind: ["brokerFrontend", "brokerBackend"] });

try {
  const hwm = { receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 };
  await runRelayRole(
    {
      sockets: [new Router({ ...hwm, maxMessageSize: MAX_REQUEST_BYTES }), new ServerSide(hwm)],
      endpoints: [options.brokerFrontend, options.brokerBackend],
      describe: (clients, servers) => `clients on ${clients}, servers on ${servers}`,
      tap: brokerTap,
      forward: (a: ZSocket, b: ZSocket, log, quiet) => runBroker(a as Router, b as Router, { log, tap: !quiet }),
    },
    loggerFor("broker", undefined, options),
    options.quiet,
  );
} catch (e) {
  die("broker", e);
}
