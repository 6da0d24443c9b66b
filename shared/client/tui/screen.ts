/**
 * The terminal, full screen: the alternate screen (the shell's screen
 * comes back untouched at exit), raw keyboard input, autowrap off (a row
 * never spills into the next or scrolls the screen), and a frame drawn by
 * rewriting only the rows that changed since the last one, each cleared
 * and written at its own position. The bell, and the terminal put back as
 * it was on every way out.
 *
 * @module
 */
import type { Frame } from "./layout.ts";

const ESC = "\x1b[";

export interface ScreenIO {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

export class Screen {
  private last: string[] = [];
  private lastSize = "";
  private active = false;
  private readonly restore = () => this.stop();

  constructor(private readonly io: ScreenIO) {}

  get cols(): number {
    return this.io.output.columns || 80;
  }

  get rows(): number {
    return this.io.output.rows || 24;
  }

  /** Takes over the terminal; `onKeys` gets the typed text as it comes, `onResize` each size change. */
  start(onKeys: (chunk: string) => void, onResize: () => void): void {
    if (this.active) return;
    this.active = true;
    const { input, output } = this.io;
    input.setRawMode?.(true);
    input.setEncoding("utf8");
    input.on("data", onKeys);
    input.resume();
    output.on("resize", () => {
      this.last = [];
      onResize();
    });
    // Alternate screen, autowrap off, clear.
    output.write(`${ESC}?1049h${ESC}?7l${ESC}H${ESC}2J`);
    process.on("exit", this.restore);
  }

  /** Gives the terminal back as it was. */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    const { input, output } = this.io;
    output.write(`${ESC}0m${ESC}?7h${ESC}?25h${ESC}?1049l`);
    try {
      input.setRawMode?.(false);
    } catch {
      // the terminal is gone
    }
    input.pause();
    process.off("exit", this.restore);
  }

  /** Forgets what is on the screen: the next draw rewrites every row (Ctrl-L). */
  invalidate(): void {
    this.last = [];
  }

  draw(f: Frame): void {
    if (!this.active) return;
    const size = `${this.cols}x${this.rows}`;
    if (size !== this.lastSize) {
      this.last = [];
      this.lastSize = size;
    }
    let out = `${ESC}?25l`;
    if (this.last.length === 0) out += `${ESC}0m${ESC}2J`;
    for (let i = 0; i < f.rows.length; i++) {
      if (this.last[i] === f.rows[i]) continue;
      out += `${ESC}${i + 1};1H${ESC}0m${ESC}2K${f.rows[i]}${ESC}0m`;
    }
    out += `${ESC}${f.cursor.row + 1};${f.cursor.col + 1}H${ESC}?25h`;
    this.last = [...f.rows];
    this.io.output.write(out);
  }

  bell(): void {
    if (this.active) this.io.output.write("\x07");
  }
}
