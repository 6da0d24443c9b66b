/**
 * Presence, an extension of the contract: who is online now and in which
 * channels. Pure: the wire shape, its field rules, and the {@link Roster}
 * that servers and clients both keep.
 *
 * A client session announces itself (`presence`: user, a random session
 * id, the channels it listens to, `online` or `offline`) when it logs in,
 * whenever its channels change, every {@link PRESENCE_REFRESH_MS} and when
 * it quits. The server that takes the request publishes it on the topic
 * `$presence`, which no user or channel can be (`$` names are reserved),
 * so only clients that subscribe to it ever receive it. Every server
 * subscribes too and keeps the same roster in memory: soft state, never
 * stored, each session dropped {@link PRESENCE_TTL_MS} after its last
 * announcement, so a client killed without a word leaves within that time.
 * `names` answers from it on any replica; a server that just started knows
 * everyone again after one refresh period.
 *
 * Announcements of one session are ordered by their Lamport clock (each is
 * sent after the reply to the one before): an older one arriving late is
 * ignored.
 *
 * @module
 */
import { isMap, validateId, validateName, type FieldRule } from "./validate.ts";

/** Topic of presence announcements. */
export const TOPIC_PRESENCE = "$presence";
/** How often a session announces itself. */
export const PRESENCE_REFRESH_MS = 10_000;
/** How long a session counts as online after its last announcement (three refreshes and a margin). */
export const PRESENCE_TTL_MS = 35_000;
/** Most channels one announcement may list. */
export const MAX_PRESENCE_CHANNELS = 256;

export type PresenceState = "online" | "offline";

/** One session's announcement, as published on {@link TOPIC_PRESENCE}. */
export interface Announcement {
  user: string;
  session: string;
  channels: string[];
  state: PresenceState;
  /** Lamport clock of the publication (0 for a snapshot entry). */
  clock: number;
}

/** What changed for one user, across all of that user's sessions. */
export interface PresenceChange {
  user: string;
  /** Channels the user is now in and was not. */
  joined: string[];
  /** Channels the user was in and is not any more. */
  parted: string[];
  /** The user was offline and is online now. */
  came: boolean;
  /** The user went offline: said so (`quit`) or stopped announcing (`timeout`). */
  left: false | "quit" | "timeout";
}

/** The `presence` request's fields: `user`, `session`, `channels`, `state`. */
export const PRESENCE_RULE: FieldRule = (d, out) => {
  const userError = d.user === undefined ? "missing field 'user'" : validateName("user", d.user);
  if (userError) return userError;
  const sessionError = d.session === undefined ? "missing field 'session'" : validateId(d.session);
  if (sessionError) return `session: ${sessionError}`;
  const channels = d.channels ?? [];
  if (!Array.isArray(channels)) return "channels must be a list of channel names";
  if (channels.length > MAX_PRESENCE_CHANNELS) return `at most ${MAX_PRESENCE_CHANNELS} channels`;
  for (const c of channels) {
    const e = validateName("channel", c);
    if (e) return e;
  }
  const state = d.state ?? "online";
  if (state !== "online" && state !== "offline") return "state must be 'online' or 'offline'";
  Object.assign(out, { user: d.user, session: d.session, channels: [...new Set(channels as string[])], state });
  return null;
};

/** The `names` request's fields: an optional `channel`. */
export const NAMES_RULE: FieldRule = (d, out) => {
  if (d.channel === undefined || d.channel === null) return null;
  const e = validateName("channel", d.channel);
  if (e) return e;
  out.channel = d.channel;
  return null;
};

/** Reads an announcement from a publication's `data` (or a `names` snapshot entry); null if malformed. */
export function readAnnouncement(data: unknown): Announcement | null {
  if (!isMap(data)) return null;
  const out: Record<string, unknown> = {};
  if (PRESENCE_RULE(data, out) !== null) return null;
  const clock = typeof data.clock === "number" && Number.isFinite(data.clock) && data.clock >= 0 ? data.clock : 0;
  return { ...(out as Omit<Announcement, "clock">), clock };
}

interface Entry {
  user: string;
  channels: Set<string>;
  clock: number;
  expires: number;
  /** Said `offline`: kept only to refuse older announcements arriving late. */
  gone: boolean;
}

/** Who is online, from announcements; expiring. */
export class Roster {
  private readonly sessions = new Map<string, Entry>();

  constructor(private readonly ttlMs = PRESENCE_TTL_MS) {}

  /** Applies one announcement; returns what changed for its user, or null (nothing, or a stale one). */
  apply(a: Announcement, now: number): PresenceChange | null {
    const key = `${a.user}\u0000${a.session}`;
    const old = this.sessions.get(key);
    if (old && a.clock < old.clock) return null;
    const before = this.view(a.user, now);
    this.sessions.set(key, { user: a.user, channels: new Set(a.channels), clock: a.clock, expires: now + this.ttlMs, gone: a.state === "offline" });
    return diff(a.user, before, this.view(a.user, now), a.state === "offline" ? "quit" : "timeout");
  }

  /** Drops sessions not heard of within the TTL; returns what that changed. */
  expire(now: number): PresenceChange[] {
    const expired = new Set<string>();
    for (const e of this.sessions.values()) if (e.expires <= now && !e.gone) expired.add(e.user);
    // Before: every session that had not said `offline`, expired or not.
    const before = new Map([...expired].map((u) => [u, this.view(u, -Infinity)] as const));
    for (const [k, e] of this.sessions) if (e.expires <= now) this.sessions.delete(k);
    const out: PresenceChange[] = [];
    for (const [u, b] of before) {
      const c = diff(u, b, this.view(u, now), "timeout");
      if (c) out.push(c);
    }
    return out;
  }

  /** Replaces the whole roster with a snapshot (a `names` reply), reporting nothing. */
  seed(entries: Announcement[], now: number): void {
    this.sessions.clear();
    for (const a of entries) this.apply(a, now);
  }

  /** Users online now (in `channel`, if given), sorted. */
  online(now: number, channel?: string): string[] {
    const users = new Set<string>();
    for (const e of this.sessions.values()) {
      if (e.gone || e.expires <= now) continue;
      if (channel === undefined || e.channels.has(channel)) users.add(e.user);
    }
    return [...users].sort();
  }

  /** Whether `user` is online now. */
  isOnline(user: string, now: number): boolean {
    return this.view(user, now).online;
  }

  /** Every live session, for a `names` reply. */
  snapshot(now: number): { user: string; session: string; channels: string[] }[] {
    const out: { user: string; session: string; channels: string[] }[] = [];
    for (const [k, e] of this.sessions) {
      if (e.gone || e.expires <= now) continue;
      out.push({ user: e.user, session: k.slice(e.user.length + 1), channels: [...e.channels].sort() });
    }
    return out;
  }

  private view(user: string, now: number): { online: boolean; channels: Set<string> } {
    const channels = new Set<string>();
    let online = false;
    for (const e of this.sessions.values()) {
      if (e.user !== user || e.gone || e.expires <= now) continue;
      online = true;
      for (const c of e.channels) channels.add(c);
    }
    return { online, channels };
  }
}

type View = { online: boolean; channels: Set<string> };

function diff(user: string, before: View, after: View, why: "quit" | "timeout"): PresenceChange | null {
  const joined = [...after.channels].filter((c) => !before.channels.has(c)).sort();
  const parted = [...before.channels].filter((c) => !after.channels.has(c)).sort();
  const came = !before.online && after.online;
  const left = before.online && !after.online ? why : false;
  if (!came && !left && joined.length === 0 && parted.length === 0) return null;
  return { user, joined, parted, came, left };
}
