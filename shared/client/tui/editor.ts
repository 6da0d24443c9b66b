/**
 * The input line: text as grapheme clusters with a cursor, Emacs-style
 * editing (the keys readline, irssi and WeeChat share), a kill buffer,
 * the history of submitted lines (Up/Down, the line being typed kept
 * aside), and Tab completion that cycles through the candidates as irssi
 * does, adding a space after a word, or `: ` after a nick opening a line.
 * Pure: no terminal here.
 *
 * @module
 */
import { graphemes } from "./text.ts";

/** Finds the candidates for the text before the cursor: `[candidates, fragment]`. */
export type Completer = (before: string) => [string[], string];
/** What follows a candidate completed after `head`. */
export type Suffix = (head: string, candidate: string) => string;

interface Cycle {
  /** The line around the fragment. */
  head: string;
  tail: string;
  candidates: string[];
  index: number;
  /** The line as the last completion left it: any other edit ends the cycle. */
  result: string;
  suffixes: string[];
}

export class LineEditor {
  private g: string[] = [];
  /** The cursor, in graphemes from the start. */
  cursor = 0;
  private kill = "";
  private hpos: number;
  private draft: string[] = [];
  private cycle: Cycle | null = null;

  constructor(readonly history: string[] = []) {
    this.hpos = history.length;
  }

  get text(): string {
    return this.g.join("");
  }

  /** The graphemes, for layout. */
  get cells(): readonly string[] {
    return this.g;
  }

  /** Replaces the whole line; the cursor goes to the end. */
  set(text: string): void {
    this.g = graphemes(text);
    this.cursor = this.g.length;
    this.cycle = null;
  }

  insert(text: string): void {
    const add = graphemes(text.replace(/[\r\n]+/g, " "));
    // A combining mark typed alone joins the character before it.
    const merged = graphemes(this.g.slice(0, this.cursor).join("") + add.join(""));
    const before = merged.length;
    this.g = [...merged, ...this.g.slice(this.cursor)];
    this.cursor = before;
    this.cycle = null;
  }

  backspace(): void {
    if (this.cursor === 0) return;
    this.g.splice(--this.cursor, 1);
    this.cycle = null;
  }

  /** Deletes the character under the cursor. */
  del(): void {
    if (this.cursor < this.g.length) this.g.splice(this.cursor, 1);
    this.cycle = null;
  }

  left(): void {
    this.cursor = Math.max(0, this.cursor - 1);
  }

  right(): void {
    this.cursor = Math.min(this.g.length, this.cursor + 1);
  }

  home(): void {
    this.cursor = 0;
  }

  end(): void {
    this.cursor = this.g.length;
  }

  wordLeft(): void {
    this.cursor = this.wordStart(this.cursor);
  }

  wordRight(): void {
    let i = this.cursor;
    while (i < this.g.length && isSpace(this.g[i]!)) i++;
    while (i < this.g.length && !isSpace(this.g[i]!)) i++;
    this.cursor = i;
  }

  /** Ctrl-K: cut from the cursor to the end. */
  killToEnd(): void {
    this.cut(this.cursor, this.g.length);
  }

  /** Ctrl-U: cut from the start to the cursor. */
  killToStart(): void {
    this.cut(0, this.cursor);
  }

  /** Ctrl-W: cut the word before the cursor. */
  killWordBack(): void {
    this.cut(this.wordStart(this.cursor), this.cursor);
  }

  /** Alt-D: cut the word after the cursor. */
  killWordForward(): void {
    const from = this.cursor;
    this.wordRight();
    this.cut(from, this.cursor);
  }

  /** Ctrl-Y: paste what was cut last. */
  yank(): void {
    if (this.kill) this.insert(this.kill);
  }

  /** Up: the previous submitted line (the line being typed is kept for Down). */
  up(): void {
    if (this.hpos === 0) return;
    if (this.hpos === this.history.length) this.draft = [...this.g];
    this.hpos--;
    this.set(this.history[this.hpos]!);
  }

  /** Down: the next submitted line, and after the last one the line that was being typed. */
  down(): void {
    if (this.hpos >= this.history.length) return;
    this.hpos++;
    if (this.hpos === this.history.length) {
      this.g = this.draft;
      this.cursor = this.g.length;
      this.draft = [];
    } else this.set(this.history[this.hpos]!);
  }

  /** Enter: returns the line and empties the editor (the caller keeps history). */
  submit(): string {
    const line = this.text;
    this.g = [];
    this.cursor = 0;
    this.cycle = null;
    this.hpos = this.history.length;
    this.draft = [];
    return line;
  }

  /** Puts a submitted line into the history (and the Up key's reach). */
  remember(line: string): void {
    if (line.trim() === "" || this.history.at(-1) === line) return;
    this.history.push(line);
    this.hpos = this.history.length;
  }

  /**
   * Tab (or Shift-Tab, `step` -1): completes the word before the cursor,
   * or, right after a completion, replaces it with the next candidate.
   * Returns false when there is nothing to complete.
   */
  complete(completer: Completer, suffix: Suffix, step: 1 | -1 = 1): boolean {
    const c = this.cycle;
    if (c && c.result === this.text) {
      c.index = (c.index + step + c.candidates.length) % c.candidates.length;
      this.apply(c);
      return true;
    }
    const before = this.g.slice(0, this.cursor).join("");
    const [candidates, fragment] = completer(before);
    if (candidates.length === 0) return false;
    const head = before.slice(0, before.length - fragment.length);
    const next: Cycle = {
      head,
      tail: this.g.slice(this.cursor).join("").replace(/^ /, ""),
      candidates,
      index: step === 1 ? 0 : candidates.length - 1,
      result: "",
      suffixes: candidates.map((x) => suffix(head, x)),
    };
    this.apply(next);
    return true;
  }

  private apply(c: Cycle): void {
    const word = c.candidates[c.index]! + c.suffixes[c.index]!;
    const upTo = graphemes(c.head + word);
    this.g = [...upTo, ...graphemes(c.tail)];
    this.cursor = upTo.length;
    c.result = this.text;
    this.cycle = c;
  }

  private cut(from: number, to: number): void {
    if (to <= from) return;
    this.kill = this.g.slice(from, to).join("");
    this.g.splice(from, to - from);
    this.cursor = from;
    this.cycle = null;
  }

  private wordStart(i: number): number {
    while (i > 0 && isSpace(this.g[i - 1]!)) i--;
    while (i > 0 && !isSpace(this.g[i - 1]!)) i--;
    return i;
  }
}

const isSpace = (g: string) => /^\s+$/.test(g);
