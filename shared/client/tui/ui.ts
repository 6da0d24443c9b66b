/**
 * The terminal client's screen and keyboard: the windows, the input line,
 * the status bar (time, nick, current window, the activity list with
 * unread counts and highlights, the connection state), the title bar, and
 * the keys: editing and history, Tab completion, PgUp/PgDn scrollback,
 * Alt-1…9 / Alt-0 for windows 1–10, Ctrl-N / Ctrl-P (or Alt-→ / Alt-←)
 * for the next and previous window, Alt-A for the next window with
 * activity, Ctrl-L to redraw, Ctrl-C to clear the line (twice on an empty
 * line to quit). What a line or a window means is the chat's business
 * (chat.ts); this module only shows and edits.
 *
 * @module
 */
import type { InputHistory } from "../config.ts";
import { LineEditor, type Completer, type Suffix } from "./editor.ts";
import { clockTime, dayKey, dayLine, messageLine, noticeLine, type MessageView, type NoticeKind, type TuiPalette } from "./format.ts";
import { KeyParser, type Key } from "./keys.ts";
import { layout, rowsOfLine } from "./layout.ts";
import type { LinkState } from "./link.ts";
import { Screen, type ScreenIO } from "./screen.ts";
import { screenSafe } from "./text.ts";
import { WindowList, type ChatWindow, type Level, type Line } from "./windows.ts";

export interface UiOptions {
  io: ScreenIO;
  palette: TuiPalette;
  history: InputHistory;
  completer: Completer;
  suffix: Suffix;
  /** Ring the bell on highlights. */
  bell: boolean;
}

export class Ui {
  readonly windows = new WindowList();
  readonly editor: LineEditor;
  readonly p: TuiPalette;
  /** Our nick, once known. */
  nick = "";
  link: LinkState = "connecting";
  /** Posts waiting for the connection. */
  queued = 0;
  /** A prompt that replaces the window's (asking for the user name). */
  ask: string | null = null;
  /** The input is a secret (a password): shown as `*`, never kept in the history. */
  secret = false;
  /** The title bar of a window (set by the chat). */
  titleOf: (w: ChatWindow) => string = (w) => w.label;
  /** A submitted line, with the window it was typed in. */
  onLine: (line: string, w: ChatWindow) => void = () => {};
  onQuit: () => void = () => {};
  private readonly screen: Screen;
  private readonly keys = new KeyParser();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private escTimer: ReturnType<typeof setTimeout> | null = null;
  private clock: ReturnType<typeof setInterval> | null = null;
  private lastInterrupt = 0;

  constructor(private readonly o: UiOptions) {
    this.p = o.palette;
    this.editor = new LineEditor([...o.history.lines]);
    this.screen = new Screen(o.io);
  }

  start(): void {
    this.screen.start((chunk) => this.input(chunk), () => this.render());
    // The clock in the status bar.
    this.clock = setInterval(() => this.schedule(), 15_000);
    this.render();
  }

  stop(): void {
    if (this.clock) clearInterval(this.clock);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.screen.stop();
  }

  /** Adds a line to a window, with its activity level, and redraws soon. */
  print(w: ChatWindow, line: Line, level: Level = 0): void {
    w.add(line);
    this.windows.notify(w, level);
    this.schedule();
  }

  /** A notice line in a window (default the current one). */
  notice(text: string, kind: NoticeKind = "info", w: ChatWindow = this.windows.active, level: Level = 0): void {
    this.print(w, noticeLine(this.p, screenSafe(text), kind), level);
  }

  /** A message line, after a day-change line when its day differs from the window's last; `ring`: the bell for a highlight. */
  message(w: ChatWindow, m: MessageView, level: Level, ring = true): void {
    const day = dayKey(m.timestamp);
    if (day !== w.lastDay && (w.lastDay !== undefined || day !== dayKey(Date.now()))) w.add(dayLine(this.p, m.timestamp));
    w.lastDay = day;
    this.print(w, messageLine(this.p, m), level);
    if (ring && m.highlight && !m.self && this.o.bell) this.screen.bell();
  }

  /** Makes a window current. */
  focus(w: ChatWindow): void {
    this.windows.focus(w);
    this.schedule();
  }

  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.render();
    }, 8);
  }

  render(): void {
    const w = this.windows.active;
    const frame = layout({
      cols: this.screen.cols,
      rows: this.screen.rows,
      title: this.titleOf(w),
      window: w,
      status: this.statusText(),
      prompt: this.ask ?? `[${screenSafe(w.label)}] `,
      input: this.secret ? this.editor.cells.map(() => "*") : this.editor.cells,
      cursor: this.editor.cursor,
      bar: (row) => this.bar(row),
    });
    this.screen.draw(frame);
  }

  /** `[09:01] [ana] [2:#geral] [Act: 3:@bob(2!) 4:#news(5)] [disconnected]`. */
  private statusText(): string {
    const p = this.p;
    const w = this.windows.active;
    const parts = [`[${clockTime(Date.now())}]`];
    if (this.nick) parts.push(`[${screenSafe(this.nick)}]`);
    parts.push(`[${this.windows.numberOf(w)}:${screenSafe(w.label)}]`);
    const act = this.windows.activity().map(({ n, w: x }) => {
      const label = `${n}:${screenSafe(x.label)}`;
      if (x.level === 3) return p.sgr("1;35", `${label}(${x.unread}!)`);
      if (x.level === 2) return p.sgr("1", `${label}(${x.unread})`);
      return p.sgr("2", label);
    });
    if (act.length) parts.push(`[Act: ${act.join(" ")}]`);
    if (this.link === "connecting") parts.push(p.sgr("1;33", "[connecting…]"));
    if (this.link === "down") parts.push(p.sgr("1;31", `[disconnected${this.queued ? `: ${this.queued} queued` : ""}]`));
    if (w.anchor !== null) parts.push(p.sgr("1", "-- more --"));
    return parts.join(" ");
  }

  /** A bar row: reversed (or on blue), the styles inside it kept. */
  private bar(row: string): string {
    const on = this.p.color ? "\x1b[44;97m" : "\x1b[7m";
    return on + row.replaceAll("\x1b[0m", "\x1b[0m" + on) + "\x1b[0m";
  }

  private input(chunk: string): void {
    if (this.escTimer) clearTimeout(this.escTimer);
    for (const k of this.keys.feed(chunk)) this.key(k);
    if (this.keys.pending) this.escTimer = setTimeout(() => this.keys.flush().forEach((k) => this.key(k)), 40);
    this.schedule();
  }

  private key(k: Key): void {
    const e = this.editor;
    const rowsOf = (l: Line) => rowsOfLine(l, this.screen.cols).length;
    const page = Math.max(1, this.screen.rows - 4);
    if (k.kind === "text") return e.insert(k.text);
    if (k.kind === "alt") {
      if (/^[0-9]$/.test(k.key)) this.goTo(k.key === "0" ? 10 : Number(k.key));
      else if (k.key === "a") {
        const next = this.windows.nextActive();
        if (next) this.focus(next);
      } else if (k.key === "b") e.wordLeft();
      else if (k.key === "f") e.wordRight();
      else if (k.key === "d") e.killWordForward();
      return;
    }
    if (k.kind === "ctrl") {
      const actions: Record<string, () => void> = {
        a: () => e.home(), e: () => e.end(), b: () => e.left(), f: () => e.right(),
        k: () => e.killToEnd(), u: () => e.killToStart(), w: () => e.killWordBack(), y: () => e.yank(),
        d: () => e.del(), h: () => e.backspace(),
        n: () => this.windows.next(), p: () => this.windows.prev(),
        l: () => this.screen.invalidate(),
        c: () => this.interrupt(),
      };
      actions[k.key]?.();
      return;
    }
    switch (k.name) {
      case "enter": return this.submit();
      case "backspace": return k.alt ? e.killWordBack() : e.backspace();
      case "delete": return e.del();
      case "left": return k.alt ? this.windows.prev() : k.ctrl ? e.wordLeft() : e.left();
      case "right": return k.alt ? this.windows.next() : k.ctrl ? e.wordRight() : e.right();
      case "home": return e.home();
      case "end": return e.end();
      case "up": return e.up();
      case "down": return e.down();
      case "tab": return void e.complete(this.o.completer, this.o.suffix, 1);
      case "backtab": return void e.complete(this.o.completer, this.o.suffix, -1);
      case "pageup": return this.windows.active.scroll(page, rowsOf);
      case "pagedown": return this.windows.active.scroll(-page, rowsOf);
    }
  }

  private goTo(n: number): void {
    if (!this.windows.go(n)) this.notice(`no window ${n}; there are ${this.windows.all.length}`, "error");
  }

  private submit(): void {
    const line = this.editor.submit();
    if (this.ask === null) {
      this.editor.remember(line);
      this.o.history.add(line);
    }
    this.lastInterrupt = 0;
    this.onLine(line, this.windows.active);
  }

  /** Ctrl-C: clears a typed line (Up brings it back); on an empty line, twice within 2 s quits. */
  private interrupt(): void {
    const text = this.editor.text;
    if (text !== "") {
      this.editor.submit();
      if (!this.secret) this.editor.remember(text);
      return;
    }
    const now = Date.now();
    if (now - this.lastInterrupt < 2000) return this.onQuit();
    this.lastInterrupt = now;
    this.notice("press Ctrl-C again to quit (or type /quit)");
  }
}
