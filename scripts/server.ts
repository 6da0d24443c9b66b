/**
 * A chat server: serves clients through the broker, publishes deliveries
 * through the proxy, stores everything under `<data-dir>/<name>/`.
 * @module
 */
import { join } from "node:path";
import { die, exitOnSignals, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { ClockSync } from "../shared/server/clock-sync.ts";
import { Election } from "../shared/server/election.ts";
import { Membership } from "../shared/server/membership.ts";
import { Replication } from "../shared/server/replication/replication.ts";
import { ServerNode } from "../shared/server/node.ts";
import { StatusService } from "../shared/server/status-service.ts";
import { trustFor, warnIfOpen } from "../shared/roles/cluster-trust.ts";

const { options: o, given } = roleOptions("server", [
  "name", "dataDir", "keysDir", "open", "brokerBackend", "proxyXsub", "proxyXpub", "ref", "peer", "host", "advertiseHost",
  "skew", "heartbeatMs", "clockSyncMs", "noReplication", "fsyncAlways", "minReplicas", "antiEntropyMs", "ackTimeoutMs",
  "json", "quiet",
], { bind: ["peer"] });

try {
  const node = new ServerNode({
    name: o.name,
    dataDir: join(o.dataDir, o.name),
    endpoints: { brokerBackend: o.brokerBackend, proxyXsub: o.proxyXsub, proxyXpub: o.proxyXpub, ref: o.ref, peer: o.peer },
    advertiseHost: o.advertiseHost ?? o.host,
    log: loggerFor("server", o.name, o),
    skewMs: o.skew,
    // No peer endpoint given: the first free port from the default up.
    peerSearch: given.has("peer") ? undefined : 40,
    trust: trustFor(o),
  });
  warnIfOpen(node.trust, node.log);
  // --no-replication: each server keeps only what it accepts (the course
  // seed's weakness); a baseline for measuring what replication costs.
  if (!o.noReplication) node.use(
    new Replication(node, {
      minReplicas: o.minReplicas,
      antiEntropyMs: o.antiEntropyMs,
      ackTimeoutMs: o.ackTimeoutMs,
      fsyncAlways: o.fsyncAlways,
    }),
  );
  const membership = new Membership(node, { heartbeatMs: o.heartbeatMs });
  node.use(membership);
  const election = new Election(node, membership);
  node.use(election);
  node.use(new ClockSync(node, election, { syncMs: o.clockSyncMs }));
  node.use(new StatusService(node, membership, election));
  exitOnSignals(() => node.stop());
  await node.start();
} catch (e) {
  die("server", e);
}
