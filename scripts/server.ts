/**
 * A chat server: serves clients through the broker, publishes deliveries
 * through the proxy, stores everything under `<data-dir>/<name>/`.
 * @module
 */
import { join } from "node:path";
import cac from "cac";
import { commonOptions, die, exitOnSignals, lastValue, loggerFor } from "../shared/roles/cli.ts";
import { checkServerName } from "../shared/ref/registry.ts";
import { resolveEndpoints, toEndpoint } from "../shared/roles/endpoints.ts";
import { intFlag, numberFlag } from "../shared/roles/flags.ts";
import { ClockSync } from "../shared/server/clock-sync.ts";
import { Election } from "../shared/server/election.ts";
import { Membership } from "../shared/server/membership.ts";
import { Replication } from "../shared/server/replication/replication.ts";
import { ServerNode } from "../shared/server/node.ts";
import { StatusService } from "../shared/server/status-service.ts";

const cli = commonOptions(cac("server"));
cli.option("--name <name>", "server name (env SERVER_NAME, default server1)");
cli.option("--data-dir <dir>", "parent directory of the server's data (env DATA_DIR, default ./data)");
cli.option("--skew <ms>", "initial wall-clock skew in ms (default random within ±1000; 0 turns it off)");
cli.option("--heartbeat-ms <ms>", "heartbeat and ref-list period in ms (env HEARTBEAT_MS, default 1000)");
cli.option("--sync-ms <ms>", "period of the coordinator's Berkeley rounds in ms (env SYNC_MS, default 5000)");
cli.option("--no-replication", "keep only the writes this server accepts (a baseline for benchmarks; loses data when a server dies)");
cli.option("--fsync-always", "fsync every commit, even while other servers must hold each write first (env FSYNC_ALWAYS=1)");
cli.option("--min-replicas <n>", "other servers that must hold a write before it is acknowledged (env MIN_REPLICAS, default 1)");
cli.option("--anti-entropy-ms <ms>", "period of replica catch-up rounds in ms (env ANTI_ENTROPY_MS, default 2000)");
cli.option("--ack-timeout-ms <ms>", "longest wait for replicas before a write is refused with 'retry' (env ACK_TIMEOUT_MS, default 1500)");
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const name = checkServerName(String(options.name ?? process.env.SERVER_NAME ?? "server1"));
  const connect = resolveEndpoints(options, "connect");
  const peerFlag = lastValue(options.peer) ?? process.env.PEER;
  const endpoints = { ...connect, peer: toEndpoint("peer", peerFlag ?? 5560, "bind") };
  const skew = options.skew ?? process.env.SKEW_MS;
  const node = new ServerNode({
    name,
    dataDir: join(String(lastValue(options.dataDir) ?? process.env.DATA_DIR ?? "data"), name),
    endpoints,
    advertiseHost: String(options.host ?? process.env.BBS_HOST ?? "127.0.0.1"),
    log: loggerFor("server", name, options),
    skewMs: skew === undefined ? undefined : numberFlag("skew", skew, 0, -3_600_000, 3_600_000),
    // No peer endpoint given: the first free port from 5560 up.
    peerSearch: peerFlag === undefined ? 40 : undefined,
  });
  // --no-replication: each server keeps only what it accepts (the course
  // seed's weakness); a baseline for measuring what replication costs.
  if (options.replication !== false) node.use(
    new Replication(node, {
      minReplicas: intFlag("min-replicas", options.minReplicas ?? process.env.MIN_REPLICAS, 1, 0),
      syncMs: intFlag("anti-entropy-ms", options.antiEntropyMs ?? process.env.ANTI_ENTROPY_MS, 2000, 1),
      ackTimeoutMs: intFlag("ack-timeout-ms", options.ackTimeoutMs ?? process.env.ACK_TIMEOUT_MS, 1500, 1),
      fsyncAlways: Boolean(options.fsyncAlways) || process.env.FSYNC_ALWAYS === "1",
    }),
  );
  const heartbeatMs = numberFlag("heartbeat-ms", options.heartbeatMs ?? process.env.HEARTBEAT_MS, 1000, 1);
  const membership = new Membership(node, { heartbeatMs });
  node.use(membership);
  const election = new Election(node, membership);
  node.use(election);
  const syncMs = numberFlag("sync-ms", options.syncMs ?? process.env.SYNC_MS, 5000, 1);
  node.use(new ClockSync(node, election, { syncMs }));
  node.use(new StatusService(node, membership, election));
  exitOnSignals(() => node.stop());
  await node.start();
} catch (e) {
  die("server", e);
}
