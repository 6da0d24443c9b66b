/**
 * The reference server: a REP socket (5559) that gives servers their ranks
 * (persisted under `<data-dir>/ref/`), lists the live ones, and takes their
 * heartbeats. A server that misses three heartbeat periods leaves the list.
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import cac from "cac";
import { commonOptions, die, exitOnSignals, lastValue, loggerFor } from "../shared/roles/cli.ts";
import { RefRegistry } from "../shared/ref/registry.ts";
import { numberFlag } from "../shared/roles/flags.ts";
import { resolveEndpoints } from "../shared/roles/endpoints.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { refRunner } from "../shared/ref/ref-service.ts";
import { serveRequests } from "../shared/wire/runner.ts";
import { Reply } from "../shared/zmq/index.ts";

const cli = commonOptions(cac("ref"));
cli.option("--data-dir <dir>", "parent directory of the rank table (env DATA_DIR, default ./data)");
cli.option("--heartbeat-ms <ms>", "servers' heartbeat period; three missed ones drop a server (env HEARTBEAT_MS, default 1000)");
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const ep = resolveEndpoints(options, "bind");
  const log = loggerFor("ref", undefined, options);
  const heartbeatMs = numberFlag("heartbeat-ms", options.heartbeatMs ?? process.env.HEARTBEAT_MS, 1000, 1);
  const dir = join(String(lastValue(options.dataDir) ?? process.env.DATA_DIR ?? "data"), "ref");
  mkdirSync(dir, { recursive: true });
  const registry = new RefRegistry({ path: join(dir, "ranks.db"), heartbeatTimeoutMs: 3 * heartbeatMs });
  const clock = new LamportClock();
  const sock = new Reply({ receiveHighWaterMark: 10_000 });
  await sock.bind(ep.ref);
  log.info(`reference server on ${sock.lastEndpoint}`, clock.value);
  exitOnSignals(() => {
    sock.close();
    registry.close();
  });
  await serveRequests(sock, refRunner(registry, clock, log), undefined, false);
} catch (e) {
  die("ref", e);
}
