/**
 * The broker: clients' REQ/DEALER sockets connect to its ROUTER (5555),
 * servers (REP or DEALER, ours or anyone's) to its ROUTER on 5556 (named
 * DEALER in the handshake, as REP servers require); each request goes to
 * the least loaded server in rotation, and a server that freezes leaves
 * the rotation with its requests answered by another
 * (shared/relay/balancer.ts). The server side takes cluster members only
 * (CURVE, a trusted key; anyone with `--open`); the client side takes NULL
 * and CURVE clients (`--secure`, any key). Prints one line per request and reply it
 * forwards (`--quiet`: nothing).
 * @module
 */
import { die, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { runBroker, ServerSide } from "../shared/relay/broker.ts";
import { brokerTap, runRelayRole } from "../shared/relay/relay.ts";
import { MAX_REQUEST_BYTES } from "../shared/wire/protocol.ts";
import { Router, type ZSocket } from "../shared/zmq/index.ts";
import { logRefusals, trustFor, warnIfOpen } from "../shared/roles/cluster-trust.ts";

const { options } = roleOptions("broker", ["brokerFrontend", "brokerBackend", "dataDir", "keysDir", "open", "json", "quiet"], { bind: ["brokerFrontend", "brokerBackend"] });

try {
  const log = loggerFor("broker", undefined, options);
  const trust = trustFor(options);
  warnIfOpen(trust, log);
  const hwm = { receiveHighWaterMark: 100_000, sendHighWaterMark: 100_000 };
  const clients = new Router({ ...hwm, maxMessageSize: MAX_REQUEST_BYTES, ...trust.publicPort() });
  const servers = new ServerSide({ ...hwm, ...trust.membersOnly() });
  logRefusals(clients, log, "broker's client side");
  logRefusals(servers, log, "broker's server side");
  await runRelayRole(
    {
      sockets: [clients, servers],
      endpoints: [options.brokerFrontend, options.brokerBackend],
      describe: (clients, servers) => `clients on ${clients}, servers on ${servers}`,
      tap: brokerTap,
      forward: (a: ZSocket, b: ZSocket, log, quiet) => runBroker(a as Router, b as Router, { log, tap: !quiet }),
    },
    log,
    options.quiet,
  );
} catch (e) {
  die("broker", e);
}
