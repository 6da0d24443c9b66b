/**
 * The client's windows, irssi's way: window 1 is the status window (the
 * protocol log and the client's own notices), then one window per joined
 * channel and one per private conversation, numbered in the order they
 * opened (closing one renumbers those after it). Each keeps its lines
 * (the last {@link MAX_LINES}), its scroll position, the posts of ours
 * still on their way, and its activity since it was last looked at:
 * unread messages and the highest level seen (events such as joins,
 * messages, highlights). Pure.
 *
 * @module
 */

export type WindowKind = "status" | "channel" | "query";

/** Activity levels: nothing, events (join, part, quit), messages, highlights (a mention, a private message). */
export type Level = 0 | 1 | 2 | 3;

/** One line of a window, styled; rows after its first are indented by `indent` columns. */
export interface Line {
  text: string;
  indent: number;
}

/** Lines a window keeps. */
export const MAX_LINES = 2000;

export class ChatWindow {
  readonly lines: Line[] = [];
  /** Messages since the window was last current. */
  unread = 0;
  level: Level = 0;
  /** Index of the line shown at the bottom while scrolled back; null when following new lines. */
  anchor: number | null = null;
  /** Our own posts on their way (or queued while disconnected), by id: drawn below the lines. */
  readonly pending = new Map<string, Line>();
  /** Local date (YYYY-MM-DD) of the last message line, for day-change lines. */
  lastDay: string | undefined;
  /** Deliveries held while the scrollback loads, shown after it. */
  holding: unknown[] | null = null;

  constructor(
    readonly kind: WindowKind,
    /** Channel name, peer's user name, or "status". */
    readonly name: string,
  ) {}

  /** How the window is named on screen: `#geral`, `@bob`, `status`. */
  get label(): string {
    return this.kind === "channel" ? `#${this.name}` : this.kind === "query" ? `@${this.name}` : "status";
  }

  add(line: Line): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) {
      const drop = this.lines.length - MAX_LINES;
      this.lines.splice(0, drop);
      if (this.anchor !== null) this.anchor = Math.max(0, this.anchor - drop);
    }
  }

  clear(): void {
    this.lines.length = 0;
    this.anchor = null;
    this.lastDay = undefined;
  }

  /**
   * Scrolls back (`by` > 0) or forward by about `by` rows; `rowsOf` says
   * how many rows a line takes at the current width.
   */
  scroll(by: number, rowsOf: (l: Line) => number): void {
    if (this.lines.length === 0) return;
    let i = this.anchor ?? this.lines.length - 1;
    let moved = 0;
    if (by > 0) {
      while (i > 0 && moved < by) moved += rowsOf(this.lines[i--]!);
      this.anchor = i;
    } else {
      while (i < this.lines.length - 1 && moved < -by) moved += rowsOf(this.lines[++i]!);
      this.anchor = i >= this.lines.length - 1 ? null : i;
    }
  }
}

export class WindowList {
  readonly all: ChatWindow[] = [new ChatWindow("status", "status")];
  private index = 0;

  get status(): ChatWindow {
    return this.all[0]!;
  }

  get active(): ChatWindow {
    return this.all[this.index]!;
  }

  /** The 1-based number of a window. */
  numberOf(w: ChatWindow): number {
    return this.all.indexOf(w) + 1;
  }

  find(kind: WindowKind, name: string): ChatWindow | undefined {
    return this.all.find((w) => w.kind === kind && w.name === name);
  }

  /** The window for a channel or conversation, opened (at the end, not made current) if there is none. */
  open(kind: WindowKind, name: string): ChatWindow {
    const found = this.find(kind, name);
    if (found) return found;
    const w = new ChatWindow(kind, name);
    this.all.push(w);
    return w;
  }

  /** Makes `w` current and clears its activity. */
  focus(w: ChatWindow): void {
    const i = this.all.indexOf(w);
    if (i < 0) return;
    this.index = i;
    w.unread = 0;
    w.level = 0;
  }

  /** Goes to window `n` (1-based); false if there is none. */
  go(n: number): boolean {
    const w = this.all[n - 1];
    if (!w) return false;
    this.focus(w);
    return true;
  }

  next(): void {
    this.focus(this.all[(this.index + 1) % this.all.length]!);
  }

  prev(): void {
    this.focus(this.all[(this.index - 1 + this.all.length) % this.all.length]!);
  }

  /** Closes a window (never the status window); the one before it becomes current if it was. */
  close(w: ChatWindow): void {
    const i = this.all.indexOf(w);
    if (i <= 0) return;
    const wasActive = i === this.index;
    this.all.splice(i, 1);
    if (wasActive) this.focus(this.all[i - 1]!);
    else if (i < this.index) this.index--;
  }

  /** Records activity in `w` (none in the current window, which is being looked at). */
  notify(w: ChatWindow, level: Level): void {
    if (w === this.active || level === 0) return;
    if (level >= 2) w.unread++;
    if (level > w.level) w.level = level;
  }

  /** Windows with activity, in window order, with their numbers. */
  activity(): { n: number; w: ChatWindow }[] {
    return this.all.map((w, i) => ({ n: i + 1, w })).filter(({ w }) => w !== this.active && w.level > 0);
  }

  /** The window to jump to with Alt-A: the highest level of activity, the lowest number among those. */
  nextActive(): ChatWindow | undefined {
    let best: ChatWindow | undefined;
    for (const { w } of this.activity()) if (!best || w.level > best.level) best = w;
    return best;
  }
}
