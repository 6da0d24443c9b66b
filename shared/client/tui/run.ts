/**
 * The terminal client's commands (commands.ts parses them): each one acts
 * on the window it was typed in, and its answer or error shows there.
 * Commands that need a server run one after another, in the order typed;
 * window commands and `/help` act at once, even while a request waits.
 *
 * @module
 */
import { resolveTarget } from "../actions.ts";
import { helpText, parseCommand, quoteName, type Command } from "../commands.ts";
import { ClientError } from "../client-error.ts";
import { textLine } from "./format.ts";
import type { TuiChat } from "./chat.ts";
import type { ChatWindow } from "./windows.ts";

/** Keys, for `/help`. */
const KEYS = [
  "keys:",
  "  Alt-1…9, Alt-0     window 1–10          Ctrl-N / Ctrl-P    next / previous window (also Alt-→ / Alt-←)",
  "  Alt-A              next window with activity                PgUp / PgDn        scroll back / forward",
  "  Tab / Shift-Tab    complete (again: the next candidate)      Up / Down          input history",
  "  Ctrl-A / Ctrl-E    start / end of line   Ctrl-W / Ctrl-U / Ctrl-K   cut word / to start / to end (Ctrl-Y pastes)",
  "  Ctrl-L             redraw                Ctrl-C             clear the line; twice on an empty line: quit",
  "status bar: [Act: 3:@bob(2!) 4:#news(5)] = windows with unread messages; ! marks a mention or a private message",
];

export class CommandRunner {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly chat: TuiChat,
    private readonly quit: () => void,
  ) {}

  /** Runs one typed line from window `w`. */
  line(line: string, w: ChatWindow): void {
    const parsed = parseCommand(line);
    if (!parsed.ok) return this.chat.ui.notice(parsed.error, "error", w);
    const cmd = parsed.command;
    if (cmd.kind === "window" || cmd.kind === "help" || cmd.kind === "clear" || cmd.kind === "quit" || (cmd.kind === "query" && !cmd.text)) {
      void this.guarded(cmd, w);
      return;
    }
    this.chain = this.chain.then(() => this.guarded(cmd, w));
  }

  private async guarded(cmd: Command, w: ChatWindow): Promise<void> {
    try {
      await this.run(cmd, w);
    } catch (e) {
      let text = e instanceof ClientError ? e.message : `unexpected: ${(e as Error)?.message ?? e}`;
      if ((cmd.kind === "msg" || cmd.kind === "query") && e instanceof ClientError && e.code === "refused") text += this.spacesHint(cmd.user);
      this.chat.ui.notice(text, "error", w);
    }
  }

  private async run(cmd: Command, w: ChatWindow): Promise<void> {
    const { ui, s, presence } = this.chat;
    const say = (text: string) => ui.notice(text, "info", w);
    switch (cmd.kind) {
      case "empty":
        return;
      case "say":
        return this.chat.post(w, cmd.text);
      case "me":
        return this.chat.post(w, `/me ${cmd.text}`);
      case "join": {
        const open = ui.windows.find("channel", cmd.channel);
        if (open && s.joined.includes(cmd.channel)) return ui.focus(open);
        await this.chat.join(cmd.channel);
        return;
      }
      case "leave": {
        const channel = cmd.channel ?? (w.kind === "channel" ? w.name : undefined);
        if (channel === undefined) throw new ClientError("state", "not a channel window: /leave #channel");
        return this.part(channel);
      }
      case "msg": {
        const q = this.chat.query(cmd.user);
        await this.chat.post(q, cmd.text);
        if (q !== w) say(`→ ${q.label} (window ${ui.windows.numberOf(q)}): ${cmd.text}`);
        return;
      }
      case "query": {
        const q = this.chat.query(cmd.user);
        ui.focus(q);
        if (cmd.text) await this.chat.post(q, cmd.text);
        return;
      }
      case "names": {
        const channel = cmd.channel ?? (w.kind === "channel" ? w.name : undefined);
        if (channel === undefined) throw new ClientError("state", "not a channel window: /names #channel, or /who for everyone online");
        return this.chat.names(w, channel);
      }
      case "who":
        return this.who(w);
      case "users": {
        const users = await s.users();
        say(`users (${users.length}, everyone who ever logged in): ${users.sort().map((u) => quoteName(u)).join(" ") || "(none)"}`);
        if (presence.supported) say(`${presence.online().length} online now: /who lists them`);
        return;
      }
      case "channels": {
        const channels = await s.channels();
        say(`channels (${channels.length}): ${channels.sort().map((c) => quoteName(c, "#")).join(" ") || "(none)"}`);
        return;
      }
      case "history":
        return this.history(cmd, w);
      case "window":
        return this.window(cmd.go, w);
      case "clear":
        w.clear();
        return ui.schedule();
      case "help":
        for (const l of helpText(cmd.topic).split("\n")) ui.print(w, textLine(l, 4));
        if (!cmd.topic) for (const l of KEYS) ui.print(w, textLine(l, 4));
        return;
      case "quit":
        return this.quit();
    }
  }

  private part(channel: string): void {
    const { ui, s } = this.chat;
    s.leave(channel);
    const cw = ui.windows.find("channel", channel);
    if (cw) ui.windows.close(cw);
    ui.notice(`you left #${channel}`, "event", ui.windows.status);
    ui.schedule();
  }

  private window(go: number | "next" | "prev" | "close", w: ChatWindow): void {
    const { ui } = this.chat;
    const wl = ui.windows;
    if (go === "next") wl.next();
    else if (go === "prev") wl.prev();
    else if (go === "close") {
      if (w.kind === "status") throw new ClientError("state", "window 1 (status) stays open; /quit leaves");
      if (w.kind === "channel" && this.chat.s.joined.includes(w.name)) this.part(w.name);
      else wl.close(w);
    } else if (!wl.go(go)) throw new ClientError("state", `no window ${go}; there are ${wl.all.length} (/window 1…${wl.all.length})`);
    ui.schedule();
  }

  private async who(w: ChatWindow): Promise<void> {
    const { sessions } = await this.chat.presence.names();
    const where = new Map<string, Set<string>>();
    for (const e of sessions as { user?: unknown; channels?: unknown }[]) {
      if (typeof e?.user !== "string") continue;
      const set = where.get(e.user) ?? new Set<string>();
      if (Array.isArray(e.channels)) for (const c of e.channels) if (typeof c === "string") set.add(c);
      where.set(e.user, set);
    }
    const list = [...where].sort(([a], [b]) => a.localeCompare(b)).map(([u, cs]) => `${quoteName(u)}${cs.size ? ` (${[...cs].sort().map((c) => "#" + c).join(" ")})` : ""}`);
    this.chat.ui.notice(`online now (${list.length}): ${list.join(", ") || "nobody"}`, "info", w);
  }

  private async history(cmd: Extract<Command, { kind: "history" }>, w: ChatWindow): Promise<void> {
    const { ui, s } = this.chat;
    const target = cmd.target ?? (w.kind === "channel" ? { channel: w.name } : w.kind === "query" ? { user: w.name } : undefined);
    if (!target) throw new ClientError("state", "this is the status window: /history #channel or /history user");
    const t = resolveTarget(target, s);
    const into = ("channel" in t ? ui.windows.find("channel", t.channel) : ui.windows.find("query", t.user)) ?? w;
    const messages = await s.history(t, cmd.limit);
    const label = "channel" in t ? `#${t.channel}` : `the conversation with ${t.user}`;
    ui.notice(`history of ${label}: ${messages.length} message${messages.length === 1 ? "" : "s"}`, "event", into);
    for (const m of messages) this.chat.show(into, m, true);
    ui.notice(`end of the history of ${label}`, "event", into);
    if (into !== w) ui.notice(`history of ${label} shown in window ${ui.windows.numberOf(into)}`, "info", w);
  }

  /** When `/msg ana smith hi` was refused and a user `ana smith` exists: how to write it. */
  private spacesHint(user: string): string {
    const match = [...this.chat.s.knownUsers].find((u) => u.startsWith(`${user} `));
    return match ? `; a name with spaces goes in quotes: /msg ${quoteName(match)} …` : "";
  }
}
