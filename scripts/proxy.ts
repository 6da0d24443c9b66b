/**
 * The pub-sub proxy: publishers (servers) connect to its XSUB (5557),
 * subscribers to its XPUB (5558); subscriptions flow up, publications down.
 * Publishers must be cluster members (CURVE, a trusted key; anyone with
 * `--open`). Subscribers connect with NULL, with CURVE (members, and
 * `--secure` clients), or with PLAIN as a registered user (the session
 * token as password, checked through the broker); each publication goes
 * only to the subscribers its topic allows (shared/relay/proxy-gate.ts).
 * Prints one line per publication and per (un)subscription (`--quiet`: nothing).
 *
 * Its memory is bounded per peer: a subscriber that reads too slowly has
 * at most 100,000 messages or 8 MiB queued (then it misses messages, one
 * log line when that starts and one when it recovers); a subscriber holds
 * at most 1,000 topics of at most 256 bytes (a name is at most 64
 * characters); publications wait in at most 100,000 messages or 64 MiB
 * before the publishers are paused.
 * @module
 */
import { die, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { proxyTap, relay, runRelayRole } from "../shared/relay/relay.ts";
import { gatedForward } from "../shared/relay/proxy-gate.ts";
import { SessionCheck } from "../shared/relay/session-check.ts";
import { logRefusals, trustFor, warnIfOpen } from "../shared/roles/cluster-trust.ts";
import { PRIVATE_TOPIC_PREFIX } from "../shared/wire/protocol.ts";
import { XPublisher, XSubscriber, type PeerInfo } from "../shared/zmq/index.ts";

const { options } = roleOptions("proxy", ["proxyXsub", "proxyXpub", "brokerFrontend", "host", "dataDir", "keysDir", "open", "json", "quiet"], { bind: ["proxyXsub", "proxyXpub"] });
const MiB = 1024 * 1024;

try {
  const log = loggerFor("proxy", undefined, options);
  const trust = trustFor(options);
  warnIfOpen(trust, log);
  const sessions = new SessionCheck(options.brokerFrontend, log, trust.member());
  const publishers = new XSubscriber({ receiveHighWaterMark: 100_000, receiveHighWaterMarkBytes: 64 * MiB, ...trust.membersOnly() });
  logRefusals(publishers, log, "publisher side");
  // Registered users' private messages come in under their own prefix (proxy-gate.ts).
  publishers.trySend([Buffer.concat([Buffer.from([1]), Buffer.from(PRIVATE_TOPIC_PREFIX)])]);
  const subscribers = new XPublisher({
    sendHighWaterMark: 100_000,
    sendHighWaterMarkBytes: 8 * MiB,
    receiveHighWaterMark: 100_000,
    maxSubscriptions: 1000,
    maxTopicLength: 256,
    ...trust.publicPort((user, token) => sessions.check(user, token)),
  });
  logRefusals(subscribers, log, "subscriber side");
  const who = (p: PeerInfo) => `subscriber ${p.address}:${p.port}`;
  subscribers.events.on("hwm:drop", (e) => log.error(`${who(e.peer)} reads too slowly: dropping its messages (${e.messages} messages, ${e.bytes} bytes queued)`));
  subscribers.events.on("hwm:recovered", (e) => log.error(`${who(e.peer)} has room again after missing ${e.dropped} messages`));
  subscribers.events.on("subscription:refused", (e) =>
    log.error(
      e.reason === "count"
        ? `${who(e.peer)} refused a subscription: it already holds ${e.limit} (further refusals not logged)`
        : `${who(e.peer)} refused a subscription of ${e.topicBytes} bytes: topics are at most ${e.limit} (further refusals not logged)`,
    ),
  );
  await runRelayRole(
    {
      sockets: [publishers, subscribers],
      endpoints: [options.proxyXsub, options.proxyXpub],
      describe: (pubs, subs) => `publishers on ${pubs}, subscribers on ${subs}`,
      tap: proxyTap,
      forward: (a, b, log, quiet) => relay(a, b, quiet ? undefined : proxyTap(log), gatedForward((p) => trust.isMember(p))),
    },
    log,
    options.quiet,
  );
} catch (e) {
  die("proxy", e);
}
