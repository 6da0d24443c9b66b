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
import { decode, encode } from "../shared/wire/codec.ts";
import { resolveEndpoints } from "../shared/roles/endpoints.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { errorReply } from "../shared/wire/protocol.ts";
import { RefService } from "../shared/ref/ref-service.ts";
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
  const service = new RefService(registry, clock);
  const sock = new Reply({ receiveHighWaterMark: 10_000 });
  await sock.bind(ep.ref);
  log.info(`reference server on ${sock.lastEndpoint}`, clock.value);
  exitOnSignals(() => {
    sock.close();
    registry.close();
  });
  for await (const frames of sock) {
    let reply;
    try {
      if (frames.length !== 1) throw new Error(`a request is exactly one frame, got ${frames.length}`);
      const raw = decode(frames[0]!);
      clock.merge((raw as { data?: { clock?: unknown } } | null)?.data?.clock);
      log.recv("server", raw, clock.value);
      reply = service.handle(raw);
    } catch (e) {
      reply = errorReply("error", (e as Error).message, clock.tick());
    }
    log.send("server", reply, clock.value);
    await sock.send(encode(reply)).catch(() => {});
  }
} catch (e) {
  die("ref", e);
}
