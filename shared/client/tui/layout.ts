/**
 * One screenful, computed: the title bar at the top, the current window's
 * lines, the status bar, and the input line at the bottom, wrapped over as
 * many rows as it needs (up to half the screen; beyond that the part
 * around the cursor). Every row fits the width exactly, whatever the
 * input's length or the characters' widths, so the lines of the window
 * are always drawn in full above the input: nothing typed can push a
 * message off the screen or leave a stale copy of the prompt. Pure: the
 * screen module only draws what this returns.
 *
 * @module
 */
import { fit, graphemeWidth, width, wrap } from "./text.ts";
import type { ChatWindow, Line } from "./windows.ts";

export interface FrameInput {
  cols: number;
  rows: number;
  /** Title bar text (styled). */
  title: string;
  window: ChatWindow;
  /** Status bar text (styled). */
  status: string;
  /** The prompt before the input (styled). */
  prompt: string;
  input: readonly string[];
  cursor: number;
  /** Styles a whole bar row (already fitted to the width). */
  bar: (row: string) => string;
}

export interface Frame {
  rows: string[];
  cursor: { row: number; col: number };
}

const wrapped = new WeakMap<Line, { cols: number; rows: string[] }>();

/** A line's rows at a width (cached per line). */
export function rowsOfLine(l: Line, cols: number): string[] {
  const hit = wrapped.get(l);
  if (hit && hit.cols === cols) return hit.rows;
  const rows = wrap(l.text, cols, l.indent);
  wrapped.set(l, { cols, rows });
  return rows;
}

/** Typed characters that would act on the terminal are drawn as a replacement character. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;
const shown = (g: string) => (UNSAFE.test(g) ? "\ufffd" : g);

/** The input area: its rows and the cursor's place, before any cut to the space available. */
export function inputRows(prompt: string, input: readonly string[], cursor: number, cols: number): { rows: string[]; row: number; col: number } {
  const rows: string[] = [];
  const promptW = Math.min(width(prompt), Math.max(0, cols - 1));
  let row = promptW > 0 ? fit(prompt, promptW) : "";
  let col = promptW;
  let at: { row: number; col: number } | null = null;
  for (let i = 0; i < input.length; i++) {
    let g = shown(input[i]!);
    let w = graphemeWidth(g);
    if (w > cols) [g, w] = ["?", 1];
    if (col + w > cols) {
      rows.push(row);
      [row, col] = ["", 0];
    }
    if (i === cursor) at = { row: rows.length, col };
    row += g;
    col += w;
  }
  if (at === null) {
    // The cursor after the last character: on the next row when this one is full.
    if (col >= cols) {
      rows.push(row);
      [row, col] = ["", 0];
    }
    at = { row: rows.length, col };
  }
  rows.push(row);
  return { rows, ...at };
}

/** Lays out one frame. */
export function layout(f: FrameInput): Frame {
  const cols = Math.max(1, f.cols);
  const height = Math.max(1, f.rows);
  const input = inputRows(f.prompt, f.input, f.cursor, cols);
  const maxInput = Math.max(1, Math.floor(height / 2));
  const first = Math.max(0, Math.min(input.row - maxInput + 1, input.rows.length - maxInput));
  const inputShown = input.rows.slice(first, first + maxInput);
  const withTitle = height - inputShown.length >= 3;
  const withStatus = height - inputShown.length >= 2;
  const contentRows = Math.max(0, height - inputShown.length - (withTitle ? 1 : 0) - (withStatus ? 1 : 0));

  const out: string[] = [];
  if (withTitle) out.push(f.bar(fit(f.title, cols)));
  out.push(...content(f.window, cols, contentRows));
  if (withStatus) out.push(f.bar(fit(f.status, cols)));
  const inputTop = out.length;
  for (const r of inputShown) out.push(fit(r, cols));
  return { rows: out, cursor: { row: inputTop + input.row - first, col: Math.min(input.col, cols - 1) } };
}

/** The window's rows for `n` screen rows: the lines up to the anchor (or all, then our pending posts), top-aligned. */
function content(w: ChatWindow, cols: number, n: number): string[] {
  if (n === 0) return [];
  const lines: Line[] = w.anchor === null ? [...w.lines, ...w.pending.values()] : w.lines.slice(0, w.anchor + 1);
  const rows: string[] = [];
  for (let i = lines.length - 1; i >= 0 && rows.length < n; i--) {
    const r = rowsOfLine(lines[i]!, cols);
    rows.unshift(...r);
  }
  const shown = rows.slice(Math.max(0, rows.length - n));
  while (shown.length < n) shown.push("");
  return shown.map((r) => fit(r, cols));
}
