/**
 * The server's presence services (an extension, see wire/presence.ts):
 * `presence` publishes a session's announcement on `$presence`, and
 * `names` answers who is online now (in a channel, or anywhere) from the
 * in-memory roster every server keeps from those publications. Two entries
 * of the client service table; nothing is stored or replicated.
 *
 * @module
 */
import type { LamportClock } from "../cluster/lamport.ts";
import type { Envelope } from "../wire/protocol.ts";
import {
  NAMES_RULE,
  PRESENCE_REFRESH_MS,
  PRESENCE_RULE,
  PRESENCE_TTL_MS,
  readAnnouncement,
  Roster,
  TOPIC_PRESENCE,
  type Announcement,
} from "../wire/presence.ts";
import { ServiceError, type Fields, type ServiceEntry } from "../wire/service-table.ts";

/** What a presence handler adds to a request's effects: publications. */
export interface Publishes {
  deliveries: { topic: string; payload: Envelope }[];
}

export interface PresenceDeps {
  clock: LamportClock;
  /** The server's synchronised wall clock, for timestamps. */
  now: () => number;
  hasUser: (user: string) => boolean;
  /** Local time for expiry (default Date.now). */
  monotonic?: () => number;
}

/** The roster of one server and the services that read and feed it. */
export class PresenceBoard {
  readonly roster = new Roster(PRESENCE_TTL_MS);
  private readonly local: () => number;
  private pruned = 0;

  constructor(private readonly deps: PresenceDeps) {
    this.local = deps.monotonic ?? Date.now;
  }

  /** A publication received on `$presence` (ours or another server's). */
  receive(payload: Envelope): void {
    if (payload.service !== "presence") return;
    const a = readAnnouncement(payload.data);
    if (!a) return;
    this.roster.apply(a, this.local());
    this.prune();
  }

  /** Drops silent sessions now and then, so that the roster stays as small as the set of live clients. */
  private prune(): void {
    const now = this.local();
    if (now - this.pruned < 5000) return;
    this.pruned = now;
    this.roster.expire(now);
  }

  /** The two service entries, for the client table. */
  services<C extends Publishes>(): ServiceEntry<C>[] {
    return [
      { name: "presence", rule: PRESENCE_RULE, handle: (d, fx) => this.announce(d, fx) },
      { name: "names", rule: NAMES_RULE, handle: (d) => this.names(d.channel as string | undefined) },
    ];
  }

  private announce(d: Fields, fx: Publishes): Fields {
    const a = d as unknown as Omit<Announcement, "clock">;
    if (!this.deps.hasUser(a.user)) throw new ServiceError(`user '${a.user}' is unknown (log in first)`);
    const clock = this.deps.clock.tick();
    const data = { user: a.user, session: a.session, channels: a.channels, state: a.state, ttl: PRESENCE_TTL_MS, timestamp: this.deps.now(), clock };
    this.roster.apply({ ...a, clock }, this.local());
    fx.deliveries.push({ topic: TOPIC_PRESENCE, payload: { service: "presence", data } });
    return { status: "OK", refresh: PRESENCE_REFRESH_MS, ttl: PRESENCE_TTL_MS };
  }

  private names(channel: string | undefined): Fields {
    const now = this.local();
    this.roster.expire(now);
    const sessions = this.roster.snapshot(now).filter((s) => channel === undefined || s.channels.includes(channel));
    return { status: "OK", users: this.roster.online(now, channel), sessions };
  }
}
