/**
 * The reference server's request handlers, socket-free: `handle(raw)` takes
 * a decoded request and returns the reply envelope (Lamport-stamped).
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
import type { RefRegistry } from "./registry.ts";
import type { LamportClock } from "../cluster/lamport.ts";
import { errorReply, makeReply, REF_SERVICES, type Envelope } from "../wire/protocol.ts";
import { parseRequest } from "../wire/validate.ts";

const REF_ONLY: ReadonlySet<string> = new Set(REF_SERVICES);

/** Answers `rank`, `list` and `heartbeat` from a {@link RefRegistry}. */
export class RefService {
  constructor(
    private readonly registry: RefRegistry,
    private readonly clock: LamportClock,
    private readonly now: () => number = Date.now,
  ) {}

  /** Merges the request's clock, answers it, and stamps the reply with a ticked clock. */
  handle(raw: unknown): Envelope {
    const clock = (raw as { data?: { clock?: unknown } } | null)?.data?.clock;
    this.clock.merge(clock);
    const parsed = parseRequest(raw);
    if (!parsed.ok) return this.fail(parsed.service, parsed.error);
    const { req } = parsed;
    if (!REF_ONLY.has(req.service)) {
      return this.fail(req.service, `the reference server answers only ${REF_SERVICES.join(", ")}`);
    }
    try {
      switch (req.service) {
        case "rank":
          return this.ok("rank", { rank: this.registry.rank(req.data.user, req.data.address) });
        case "heartbeat":
          if (!this.registry.heartbeat(req.data.user)) {
            return this.fail("heartbeat", `unknown server '${req.data.user}': ask for a rank first`);
          }
          return this.ok("heartbeat", {});
        case "list":
          return this.ok("list", { list: this.registry.list() });
        default:
          return this.fail(req.service, "unreachable");
      }
    } catch (e) {
      const text = isClusterError(e) ? e.message : `internal error: ${(e as Error).message}`;
      return this.fail(req.service, text);
    }
  }

  private ok(service: string, data: Record<string, unknown>): Envelope {
    return makeReply(service, data, this.clock.tick(), this.now);
  }

  private fail(service: string, text: string): Envelope {
    return errorReply(service, text, this.clock.tick(), this.now);
  }
}
