/**
 * What the terminal client's windows show, and where: each delivery in
 * the window of its channel or conversation (a private message opens one),
 * highlighted and rung when it mentions us; presence changes as join, part
 * and quit lines in the windows they concern; the backlog of a channel
 * when it is joined (the last 20 messages, then a marker), live messages
 * that arrive meanwhile held until after it; our own posts drawn at once
 * as pending, queued while disconnected and sent, each with its id (so
 * stored once), when the connection is back; the disconnected and
 * reconnected notices, and the messages missed in between fetched from
 * history. Commands are run by run.ts through the methods here.
 *
 * @module
 */
import type { CompletionSources } from "../completion.ts";
import { ClientError, newMessageId } from "../client-error.ts";
import type { Delivery } from "../delivery.ts";
import type { PresenceAgent } from "../presence.ts";
import type { ChatSession } from "../session.ts";
import type { PresenceChange } from "../../wire/presence.ts";
import { clockTime, mentions, noticeLine, textLine } from "./format.ts";
import type { LinkState } from "./link.ts";
import { screenSafe } from "./text.ts";
import type { Ui } from "./ui.ts";
import type { ChatWindow } from "./windows.ts";

/** Messages shown when a channel is joined. */
export const BACKLOG = 20;

/** A post of ours waiting for the connection. */
interface Queued {
  id: string;
  w: ChatWindow;
  text: string;
}

export class TuiChat {
  private readonly queue: Queued[] = [];
  private flushing = false;
  /** When the link last went down. */
  private downAt = 0;

  constructor(
    readonly ui: Ui,
    readonly s: ChatSession,
    readonly presence: PresenceAgent,
    readonly endpoints: { brokerFrontend: string; proxyXpub: string },
  ) {
    ui.titleOf = (w) => this.title(w);
  }

  get me(): string {
    return this.s.user;
  }

  /** A delivery from the session: shown in its window, or held while that window's backlog loads. */
  deliver(d: Delivery): void {
    const w = this.windowOf(d);
    if (w.holding) w.holding.push(d);
    else this.show(w, d, false);
  }

  /** The window a delivery belongs in (opened if needed). */
  windowOf(d: Delivery): ChatWindow {
    const wl = this.ui.windows;
    if (d.kind === "channel") return wl.open("channel", d.channel);
    if (d.kind === "private") return wl.open("query", d.src === this.me ? d.dst : d.src);
    return d.private ? wl.status : wl.open("channel", d.topic);
  }

  /** Shows a message in `w`; `old` for backlog and history (no activity, no bell). */
  show(w: ChatWindow, d: Delivery, old: boolean): void {
    if (d.kind === "line") {
      this.ui.print(w, textLine(`${this.ui.p.sgr("2", clockTime(d.timestamp))} ${screenSafe(d.text)}`, 6), old ? 0 : d.private ? 3 : 2);
      return;
    }
    const nick = d.kind === "channel" ? d.user : d.src;
    const self = nick === this.me;
    const highlight = !self && (d.kind === "private" || mentions(d.text, this.me));
    this.s.knownUsers.add(nick);
    this.ui.message(w, { timestamp: d.timestamp, nick, text: d.text, self, highlight }, old || self ? 0 : highlight ? 3 : 2, !old);
  }

  /** Joins a channel and opens its window (made current unless `background`), then shows its backlog. */
  async join(channel: string, background = false): Promise<ChatWindow> {
    const created = await this.s.join(channel);
    const w = this.ui.windows.open("channel", channel);
    if (!background) this.ui.focus(w);
    this.ui.notice(`you joined #${channel}${created ? " (a new channel)" : ""}`, "event", w);
    await this.backlog(w);
    await this.names(w, channel, true);
    return w;
  }

  /** The last messages of a channel window, a marker after them, then what arrived meanwhile. */
  async backlog(w: ChatWindow, limit = BACKLOG): Promise<void> {
    w.holding = [];
    const shown = new Set<string>();
    try {
      const messages = await this.s.history({ channel: w.name }, limit);
      for (const m of messages) if (m.id) shown.add(m.id);
      this.s.markSeen(shown);
      for (const m of messages) this.show(w, m, true);
      const n = messages.length;
      this.ui.notice(n ? `── end of backlog: the last ${n} message${n === 1 ? "" : "s"} of #${w.name} ──` : `no messages in #${w.name} yet`, "event", w);
    } catch (e) {
      const why = e instanceof ClientError && e.code === "unsupported" ? "this server keeps no history" : (e as Error).message;
      this.ui.notice(`no backlog: ${why}`, "event", w);
    } finally {
      const held = (w.holding ?? []) as Delivery[];
      w.holding = null;
      for (const d of held) if (d.id === undefined || !shown.has(d.id)) this.show(w, d, false);
    }
  }

  /** `here now (3): ana, bob, carol` in `w`, from a server (or the roster); quiet: say nothing when no server can tell. */
  async names(w: ChatWindow, channel: string | undefined, quiet = false): Promise<void> {
    let users: string[];
    try {
      users = (await this.presence.names(channel)).users;
    } catch (e) {
      if (quiet) return;
      throw e;
    }
    // The server's answer, and what we know better: ourselves, and announcements newer than its roster.
    const mine = channel === undefined || this.s.joined.includes(channel) ? [this.me] : [];
    users = [...new Set([...users, ...this.presence.online(channel), ...mine])].sort();
    const where = channel === undefined ? "online now" : `in #${channel} now`;
    this.ui.notice(`${where} (${users.length}): ${users.length ? users.join(", ") : "nobody"}`, "info", w);
  }

  /** Opens (or finds) the conversation window with a user. */
  query(user: string): ChatWindow {
    return this.ui.windows.open("query", user);
  }

  /** Posts `text` in a window: to its channel, or to its peer. Drawn at once; queued while disconnected. */
  async post(w: ChatWindow, text: string): Promise<void> {
    if (w.kind === "status") throw new ClientError("state", "this is the status window: /join a channel or /query a user, then type there");
    const item: Queued = { id: newMessageId(), w, text };
    this.pending(item, this.ui.link !== "up");
    if (this.ui.link !== "up") return this.enqueue(item);
    await this.send(item);
  }

  /** A link change: notices in every window, and on the way back up the queue, presence and what was missed. */
  linkChanged(state: LinkState, why: string): void {
    const was = this.ui.link;
    this.ui.link = state;
    if (state === "down") {
      this.downAt = Date.now();
      for (const w of this.ui.windows.all) this.ui.notice(`disconnected: ${why}; retrying (what you post waits and goes out when back)`, "error", w);
    } else if (state === "up" && was === "down") {
      const n = this.queue.length;
      for (const w of this.ui.windows.all) this.ui.notice(`reconnected${n ? `: sending ${n} queued post${n === 1 ? "" : "s"}` : ""}`, "good", w);
      void this.presence.announce();
      void this.presence.snapshot().then(() => this.ui.schedule());
      void this.flush().then(() => this.catchUp());
    }
    this.ui.schedule();
  }

  /** Someone joined, left or quit: a line in each window it concerns. */
  presenceChanged(c: PresenceChange): void {
    if (c.user === this.me) return;
    const wl = this.ui.windows;
    const who = screenSafe(c.user);
    this.s.knownUsers.add(c.user);
    for (const ch of c.joined) {
      const w = wl.find("channel", ch);
      if (w) this.ui.notice(`${who} has joined #${ch}`, "event", w, 1);
    }
    const quit = c.left ? `${who} has quit${c.left === "timeout" ? " (no sign of life for a while)" : ""}` : null;
    for (const ch of c.parted) {
      const w = wl.find("channel", ch);
      if (w) this.ui.notice(quit ?? `${who} has left #${ch}`, "event", w, 1);
    }
    const q = wl.find("query", c.user);
    if (q && quit) this.ui.notice(quit, "event", q, 1);
    else if (q && c.came) this.ui.notice(`${who} is online`, "event", q, 1);
    this.ui.schedule();
  }

  /** What Tab completes from. */
  sources(): CompletionSources {
    const w = this.ui.windows.active;
    const here = w.kind === "channel" ? this.presence.online(w.name) : [];
    return { users: [...new Set([...here, ...this.presence.online(), ...this.s.knownUsers])], channels: this.s.knownChannels, joined: this.s.joined };
  }

  /** The title bar of a window. */
  title(w: ChatWindow): string {
    const on = this.presence.supported;
    if (w.kind === "channel") {
      const here = this.presence.online(w.name);
      return ` ${screenSafe(w.label)}${on ? ` · ${here.length} here: ${here.map(screenSafe).join(" ")}` : ""}`;
    }
    if (w.kind === "query") return ` ${screenSafe(w.label)} · private conversation${on ? (this.presence.isOnline(w.name) ? " · online" : " · not online") : ""}`;
    const who = this.s.user ? ` · ${screenSafe(this.s.user)}` : "";
    return ` bbs-chat${who} · broker ${this.endpoints.brokerFrontend} · proxy ${this.endpoints.proxyXpub} · Alt-1…9 or /window N: windows · /help`;
  }

  private pending(item: Queued, queued: boolean): void {
    const p = this.ui.p;
    const tag = queued ? p.sgr("33", " (queued: sent when the connection is back)") : "";
    item.w.pending.set(item.id, { text: `${p.sgr("2", `${clockTime(Date.now())} <${screenSafe(this.me)}> ${screenSafe(item.text)}`)}${tag}`, indent: 8 });
    this.ui.schedule();
  }

  private enqueue(item: Queued): void {
    this.pending(item, true);
    if (!this.queue.includes(item)) this.queue.push(item);
    this.ui.queued = this.queue.length;
  }

  /** Sends one post; a post nobody answered goes (back) into the queue. */
  private async send(item: Queued): Promise<boolean> {
    const { w, text, id } = item;
    try {
      if (w.kind === "channel") await this.s.publish(w.name, text, id);
      else {
        // Our own copy is shown here; the one a message to ourselves brings back is not.
        this.s.markSeen([id]);
        await this.s.message(w.name, text, id);
        this.show(w, { kind: "private", src: this.me, dst: w.name, text, timestamp: Date.now(), clock: this.s.clock.value, id }, false);
      }
      w.pending.delete(id);
      return true;
    } catch (e) {
      if (e instanceof ClientError && e.code === "unreachable") {
        this.enqueue(item);
        return false;
      }
      w.pending.delete(id);
      throw e;
    } finally {
      this.ui.schedule();
    }
  }

  /** Sends the queued posts in order, stopping at the first that gets no answer. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length && this.ui.link === "up") {
        const item = this.queue[0]!;
        this.queue.shift();
        this.ui.queued = this.queue.length;
        this.pending(item, false);
        try {
          if (!(await this.send(item))) break;
        } catch (e) {
          this.ui.print(item.w, noticeLine(this.ui.p, `not sent: ${screenSafe(item.text)}: ${(e as Error).message}`, "error"));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** After a reconnection: the messages of each joined channel that came while we were away. */
  private async catchUp(): Promise<void> {
    for (const w of this.ui.windows.all) {
      if (w.kind !== "channel" || !this.s.joined.includes(w.name)) continue;
      let missed: Delivery[];
      try {
        // Not seen, and posted since shortly before the link was found down (finding out takes a few seconds).
        const since = this.downAt - 15_000;
        missed = (await this.s.history({ channel: w.name }, 50)).filter((d) => d.id !== undefined && !this.s.seenId(d.id) && d.timestamp >= since);
      } catch {
        continue;
      }
      if (missed.length === 0) continue;
      this.s.markSeen(missed.map((d) => d.id!));
      this.ui.notice(`${missed.length} message${missed.length === 1 ? "" : "s"} while you were away:`, "event", w);
      for (const d of missed) this.show(w, d, false);
    }
  }
}
