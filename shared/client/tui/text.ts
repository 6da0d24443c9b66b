/**
 * Text on a character grid: grapheme clusters and their width in columns
 * (two for wide CJK characters and most emoji, none for combining marks),
 * wrapping a styled line (SGR colour codes inside) into rows that each fit
 * the screen, and cutting or padding one to a width. Pure. Every row the
 * screen draws goes through here, which is what keeps a wide character
 * or a long line from spilling into the next row.
 *
 * @module
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/** One SGR (colour/attribute) escape sequence: the only escapes a styled line holds. */
const SGR = /\x1b\[[0-9;]*m/y;

/** The grapheme clusters of a plain string. */
export function graphemes(s: string): string[] {
  const out: string[] = [];
  for (const { segment } of segmenter.segment(s)) out.push(segment);
  return out;
}

/** Columns one grapheme takes: 0, 1 or 2. */
export function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0)!;
  if (cp < 0x7f && g.length === 1) return cp >= 0x20 ? 1 : 0;
  return Math.min(2, Bun.stringWidth(g));
}

/** Columns a plain or styled string takes. */
export function width(s: string): number {
  let w = 0;
  for (const g of graphemes(stripStyle(s))) w += graphemeWidth(g);
  return w;
}

/** The string without its SGR sequences. */
export function stripStyle(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Splits a styled string into SGR sequences and graphemes, in order. */
function pieces(s: string): { sgr?: string; g?: string }[] {
  const out: { sgr?: string; g?: string }[] = [];
  let i = 0;
  let text = "";
  const flush = () => {
    for (const g of graphemes(text)) out.push({ g });
    text = "";
  };
  while (i < s.length) {
    if (s.charCodeAt(i) === 0x1b) {
      SGR.lastIndex = i;
      const m = SGR.exec(s);
      if (m) {
        flush();
        out.push({ sgr: m[0] });
        i += m[0].length;
        continue;
      }
    }
    text += s[i];
    i++;
  }
  flush();
  return out;
}

const RESET = "\x1b[0m";

/** Applies SGR sequences to the styles in force: a reset clears them. */
function applyStyles(styles: string[], cells: { sgr?: string }[]): string[] {
  let out = styles;
  for (const c of cells) {
    if (c.sgr === undefined) continue;
    out = c.sgr === RESET || c.sgr === "\x1b[m" ? [] : [...out, c.sgr];
  }
  return out;
}

/**
 * Wraps a styled line into rows of at most `cols` columns. Rows after the
 * first start with `indent` spaces (capped at half the width). Breaks at
 * the last space on the row when there is one, else anywhere; a wide
 * character never straddles two rows. Each row ends with a reset and the
 * next one starts with the styles still in force.
 */
export function wrap(line: string, cols: number, indent = 0): string[] {
  cols = Math.max(1, cols);
  const pad = Math.min(indent, Math.floor(cols / 2));
  type Cell = { sgr?: string; g?: string; w: number };
  const rows: string[] = [];
  let styles: string[] = [];
  let cur: Cell[] = [];
  let curW = 0;
  let lastSpace = -1;
  const flush = (cells: Cell[]) => {
    const lead = rows.length ? " ".repeat(pad) : "";
    const body = styles.join("") + cells.map((c) => c.sgr ?? c.g).join("");
    rows.push(lead + body + (body.includes("\x1b") ? RESET : ""));
    styles = applyStyles(styles, cells);
  };
  const measure = (cells: Cell[]) => cells.reduce((n, c) => n + c.w, 0);
  const spaceIn = (cells: Cell[]) => cells.findLastIndex((c) => c.g === " ");
  for (const p of pieces(line)) {
    if (p.sgr !== undefined) {
      cur.push({ sgr: p.sgr, w: 0 });
      continue;
    }
    const limit = cols - (rows.length ? pad : 0);
    let g = p.g!;
    let w = graphemeWidth(g);
    if (w > limit) [g, w] = ["?", 1];
    if (curW + w > limit && curW > 0) {
      if (g === " ") {
        flush(cur);
        [cur, curW, lastSpace] = [[], 0, -1];
        continue;
      }
      if (lastSpace > 0) {
        const tail = cur.slice(lastSpace + 1);
        flush(cur.slice(0, lastSpace));
        [cur, curW] = [tail, measure(tail)];
      } else {
        flush(cur);
        [cur, curW] = [[], 0];
      }
      lastSpace = spaceIn(cur);
    }
    cur.push({ g, w });
    curW += w;
    if (g === " ") lastSpace = cur.length - 1;
  }
  if (cur.length || rows.length === 0) flush(cur);
  return rows;
}

/** Cuts a styled string to at most `cols` columns, then pads it with spaces to exactly `cols`. */
export function fit(s: string, cols: number): string {
  let used = 0;
  let out = "";
  for (const p of pieces(s)) {
    if (p.sgr !== undefined) {
      out += p.sgr;
      continue;
    }
    const w = graphemeWidth(p.g!);
    if (used + w > cols) break;
    out += p.g;
    used += w;
  }
  return out + " ".repeat(Math.max(0, cols - used)) + (out.includes("\x1b") ? RESET : "");
}

/**
 * Someone else's text made safe for the screen: control characters, and
 * the format characters that reorder or hide text (bidi overrides, zero
 * width), shown escaped instead of acting on the terminal.
 */
export function screenSafe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}
