/**
 * A session's side of presence (wire/presence.ts): announces who we are
 * and which channels we listen to (at start, on every change, every
 * refresh period, `offline` when we stop), and, when asked to `watch`,
 * keeps a roster of everyone from the `$presence` topic and reports each
 * change (joined, left, came online, quit, timed out). Servers that do not
 * offer the extension are asked once and then left alone.
 *
 * Announcements go on the session's background socket, so a server that
 * does not answer never holds up a command.
 *
 * @module
 */
import { PRESENCE_REFRESH_MS, readAnnouncement, Roster, TOPIC_PRESENCE, type Announcement, type PresenceChange } from "../wire/presence.ts";
import { ClientError, newMessageId } from "./client-error.ts";
import type { ChatSession } from "./session.ts";

export interface PresenceOptions {
  refreshMs?: number;
  /** ms to wait for each announcement's reply (default 3000). */
  timeoutMs?: number;
  now?: () => number;
}

export class PresenceAgent {
  readonly roster = new Roster();
  /** Whether the server offers presence (false once it said it does not). */
  supported = true;
  private readonly session = newMessageId();
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private changeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly stops: (() => void)[] = [];
  private onChange: ((c: PresenceChange) => void) | null = null;
  private stopped = false;

  constructor(
    private readonly s: ChatSession,
    private readonly opts: PresenceOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Announces now and from then on; call once logged in. */
  start(): void {
    if (this.timer) return;
    void this.announce();
    this.stops.push(this.s.onChannels(() => this.soon()));
    this.timer = setInterval(() => {
      void this.announce();
      this.expire();
    }, this.opts.refreshMs ?? PRESENCE_REFRESH_MS);
  }

  /** Subscribes to everyone's announcements; `onChange` hears each change after the snapshot. */
  watch(onChange: (c: PresenceChange) => void): void {
    this.onChange = onChange;
    this.stops.push(this.s.onTopic(TOPIC_PRESENCE, (payload) => this.receive(payload)));
  }

  /** Asks a server who is online now and starts the roster over from its answer; false if it cannot say. */
  async snapshot(): Promise<boolean> {
    const r = await this.names().catch(() => null);
    if (!r) return false;
    const entries = r.sessions.map((e) => readAnnouncement({ ...(e as object), state: "online" })).filter((a): a is Announcement => a !== null);
    this.roster.seed(entries, this.now());
    return true;
  }

  /** Who is online now (in `channel`, if given), asked of a server; rejects ClientError. */
  async names(channel?: string): Promise<{ users: string[]; sessions: unknown[] }> {
    if (!this.supported) throw new ClientError("unsupported", "this server does not offer names");
    let r;
    try {
      r = await this.s.request("names", channel === undefined ? {} : { channel });
    } catch (e) {
      if (e instanceof ClientError && e.code === "unsupported") this.supported = false;
      throw e;
    }
    const users = Array.isArray(r.data.users) ? r.data.users.filter((u): u is string => typeof u === "string") : [];
    const sessions = Array.isArray(r.data.sessions) ? r.data.sessions : [];
    return { users, sessions };
  }

  /** Who the roster says is online now (in `channel`, if given). */
  online(channel?: string): string[] {
    return this.roster.online(this.now(), channel);
  }

  isOnline(user: string): boolean {
    return this.roster.isOnline(user, this.now());
  }

  /** Announces ourselves (state `online`, or `offline` when leaving); never rejects. */
  async announce(state: "online" | "offline" = "online", timeoutMs = this.opts.timeoutMs ?? 3000): Promise<void> {
    if (!this.supported || (this.stopped && state === "online")) return;
    const data = { user: this.s.user, session: this.session, channels: [...this.s.joined], state };
    try {
      await this.s.background("presence", data, timeoutMs);
    } catch (e) {
      if (e instanceof ClientError && e.code === "unsupported") this.supported = false;
    }
  }

  /** Stops announcing and says `offline` (waiting at most `timeoutMs` for the reply). */
  async stop(timeoutMs = 1000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.changeTimer) clearTimeout(this.changeTimer);
    for (const f of this.stops.splice(0)) f();
    if (this.timer) await this.announce("offline", timeoutMs);
    this.timer = null;
  }

  private receive(payload: unknown): void {
    const data = (payload as { service?: unknown; data?: unknown }).data;
    if ((payload as { service?: unknown }).service !== "presence") return;
    const a = readAnnouncement(data);
    if (!a) return;
    const c = this.roster.apply(a, this.now());
    if (c) this.onChange?.(c);
  }

  private expire(): void {
    for (const c of this.roster.expire(this.now())) this.onChange?.(c);
  }

  /** Channels changed: announce once the burst of changes is over. */
  private soon(): void {
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      void this.announce();
    }, 50);
  }
}
