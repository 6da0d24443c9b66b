/**
 * The reference server: a REP socket (5559) that gives servers their ranks
 * (persisted under `<data-dir>/ref/`), lists the live ones, and takes their
 * heartbeats. A server that misses three heartbeat periods leaves the list.
 * Only cluster members (CURVE, a trusted key) may connect, unless `--open`.
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { die, exitOnSignals, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { RefRegistry } from "../shared/ref/registry.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { refRunner } from "../shared/ref/ref-service.ts";
import { serveRequests } from "../shared/wire/runner.ts";
import { Reply } from "../shared/zmq/index.ts";
import { logRefusals, trustFor, warnIfOpen } from "../shared/roles/cluster-trust.ts";

const { options } = roleOptions("ref", ["ref", "dataDir", "keysDir", "open", "heartbeatMs", "json", "quiet"], { bind: ["ref"] });

try {
  const log = loggerFor("ref", undefined, options);
  const dir = join(options.dataDir, "ref");
  mkdirSync(dir, { recursive: true });
  const registry = new RefRegistry({ path: join(dir, "ranks.db"), heartbeatTimeoutMs: 3 * options.heartbeatMs });
  const clock = new LamportClock();
  const trust = trustFor(options);
  warnIfOpen(trust, log);
  const sock = new Reply({ receiveHighWaterMark: 10_000, ...trust.membersOnly() });
  logRefusals(sock, log, "ref");
  await sock.bind(options.ref);
  log.info(`reference server on ${sock.lastEndpoint}`, clock.value);
  exitOnSignals(() => {
    sock.close();
    registry.close();
  });
  await serveRequests(sock, refRunner(registry, clock, log), undefined, false);
} catch (e) {
  die("ref", e);
}
