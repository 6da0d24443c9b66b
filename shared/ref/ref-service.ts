/**
 * The reference server's services, socket-free: a service table run by the
 * request runner, which answers every request with a Lamport-stamped reply.
 *
 * | service | reply data |
 * | --- | --- |
 * | `rank` (`user`, optional `address`) | `rank` |
 * | `list` | `list: [{name, rank, address?}]` |
 * | `heartbeat` (`user`) | nothing, or `status: "erro"` for a name that never asked `rank` |
 *
 * Anything else, or anything malformed, gets an error reply; nothing throws.
 *
 * @module
 */
import { isClusterError } from "../cluster/errors.ts";
import type { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import { REF_SERVICES } from "../wire/protocol.ts";
import { Runner } from "../wire/runner.ts";
import { ServiceError, ServiceTable, type Fields } from "../wire/service-table.ts";
import { CONTRACT_RULES } from "../wire/validate.ts";
import type { RefRegistry } from "./registry.ts";

/** The ref's services as a table, run by the request runner like every endpoint. */
export function refRunner(registry: RefRegistry, clock: LamportClock, log: Logger, now: () => number = Date.now): Runner<void> {
  const table = new ServiceTable<void>("ref", () => `the reference server answers only ${REF_SERVICES.join(", ")}`);
  /** Registry refusals (a bad name, a full registry) are the caller's to read. */
  const guard = (f: (d: Fields) => Fields) => (d: Fields) => {
    try {
      return f(d);
    } catch (e) {
      throw isClusterError(e) ? new ServiceError(e.message) : e;
    }
  };
  table.add({ name: "rank", rule: CONTRACT_RULES.rank, handle: guard((d) => ({ rank: registry.rank(d.user as string, d.address as string | undefined) })) });
  table.add({
    name: "heartbeat",
    rule: CONTRACT_RULES.heartbeat,
    handle: guard((d) => {
      if (!registry.heartbeat(d.user as string)) throw new ServiceError(`unknown server '${d.user}': ask for a rank first`);
      return {};
    }),
  });
  table.add({ name: "list", rule: CONTRACT_RULES.list, handle: () => ({ list: registry.list() }) });
  return new Runner({ table, clock, log, now, peer: "server" });
}
