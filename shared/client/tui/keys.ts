/**
 * Keys from a terminal in raw mode: the bytes of stdin (already decoded
 * as UTF-8) turned into key events. Understands what xterm, tmux, screen
 * and the Linux console send for arrows, Home/End, Delete, PgUp/PgDn, with
 * Alt and Ctrl modifiers, Alt+key as ESC then the key, and control
 * characters as Ctrl+letter. A sequence cut between two reads is kept
 * until the rest comes; a lone ESC is given up by {@link KeyParser.flush}.
 * Pure.
 *
 * @module
 */

export type NamedKey =
  | "enter" | "backspace" | "delete" | "tab" | "backtab" | "escape"
  | "left" | "right" | "up" | "down" | "home" | "end" | "pageup" | "pagedown" | "insert";

export type Key =
  /** Text to insert (a run of printable characters, as typed or pasted). */
  | { kind: "text"; text: string }
  | { kind: "key"; name: NamedKey; alt?: boolean; ctrl?: boolean; shift?: boolean }
  /** Ctrl+letter: `key` is the lower-case letter (Ctrl-C is `c`). */
  | { kind: "ctrl"; key: string }
  /** Alt+character (ESC then the character). */
  | { kind: "alt"; key: string };

const CSI_FINAL: Record<string, NamedKey> = { A: "up", B: "down", C: "right", D: "left", H: "home", F: "end", Z: "backtab" };
const TILDE: Record<string, NamedKey> = { "1": "home", "7": "home", "4": "end", "8": "end", "3": "delete", "2": "insert", "5": "pageup", "6": "pagedown" };

/** xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4). */
function modifiers(param: string | undefined): { alt?: boolean; ctrl?: boolean; shift?: boolean } {
  const m = Number(param ?? "1") - 1;
  if (!(m > 0)) return {};
  const out: { alt?: boolean; ctrl?: boolean; shift?: boolean } = {};
  if (m & 1) out.shift = true;
  if (m & 2) out.alt = true;
  if (m & 4) out.ctrl = true;
  return out;
}

export class KeyParser {
  private rest = "";

  /** Whether a partial sequence waits for more input (then call `flush` after a short pause). */
  get pending(): boolean {
    return this.rest !== "";
  }

  /** The keys in `chunk` (with whatever was left over from before). */
  feed(chunk: string): Key[] {
    const s = this.rest + chunk;
    this.rest = "";
    const keys: Key[] = [];
    let text = "";
    const push = (k: Key) => {
      if (text) keys.push({ kind: "text", text });
      text = "";
      keys.push(k);
    };
    let i = 0;
    while (i < s.length) {
      const c = s[i]!;
      const code = c.charCodeAt(0);
      if (c === "\x1b") {
        const r = this.escape(s, i);
        if (r === null) {
          this.rest = s.slice(i);
          break;
        }
        if (r.key) push(r.key);
        i = r.end;
        continue;
      }
      i++;
      if (c === "\r") {
        if (s[i] === "\n") i++;
        push({ kind: "key", name: "enter" });
      } else if (c === "\n") push({ kind: "key", name: "enter" });
      else if (c === "\t") push({ kind: "key", name: "tab" });
      else if (c === "\x7f" || c === "\b") push({ kind: "key", name: "backspace" });
      else if (code < 0x20) push({ kind: "ctrl", key: String.fromCharCode(code + 96) });
      else if (code >= 0x80 && code < 0xa0) continue; // C1 controls: never text
      else text += c;
    }
    if (text) keys.push({ kind: "text", text });
    return keys;
  }

  /** Gives up on a partial sequence: a lone ESC is the Escape key. */
  flush(): Key[] {
    const r = this.rest;
    this.rest = "";
    if (r === "") return [];
    if (r === "\x1b") return [{ kind: "key", name: "escape" }];
    return [];
  }

  /** The escape sequence at `i`: its key (none for one we ignore) and end, or null if cut short. */
  private escape(s: string, i: number): { key?: Key; end: number } | null {
    const next = s[i + 1];
    if (next === undefined) return null;
    if (next === "[") return this.csi(s, i + 2);
    if (next === "O") {
      const f = s[i + 2];
      if (f === undefined) return null;
      const name = CSI_FINAL[f];
      return { key: name ? { kind: "key", name } : undefined, end: i + 3 };
    }
    if (next === "\x1b") {
      // ESC ESC [ D: Alt with an arrow in some terminals.
      const inner = this.escape(s, i + 1);
      if (inner === null) return null;
      if (inner.key?.kind === "key") return { key: { ...inner.key, alt: true }, end: inner.end };
      return { key: { kind: "key", name: "escape" }, end: i + 1 };
    }
    if (next === "\x7f" || next === "\b") return { key: { kind: "key", name: "backspace", alt: true }, end: i + 2 };
    if (next === "\r") return { key: { kind: "key", name: "enter", alt: true }, end: i + 2 };
    const cp = s.codePointAt(i + 1)!;
    const ch = String.fromCodePoint(cp);
    if (cp < 0x20) return { key: { kind: "ctrl", key: String.fromCharCode(cp + 96) }, end: i + 2 };
    return { key: { kind: "alt", key: ch }, end: i + 1 + ch.length };
  }

  /** CSI parameters and final byte from `j`. */
  private csi(s: string, j: number): { key?: Key; end: number } | null {
    let k = j;
    while (k < s.length && /[0-9;?<>=]/.test(s[k]!)) k++;
    if (k >= s.length) return k - j > 16 ? { end: k } : null;
    const params = s.slice(j, k).split(";");
    const final = s[k]!;
    const end = k + 1;
    if (final === "~") {
      const name = TILDE[params[0]!];
      return { key: name ? { kind: "key", name, ...modifiers(params[1]) } : undefined, end };
    }
    const name = CSI_FINAL[final];
    if (!name) return { end }; // focus events, paste markers, reports: ignored
    return { key: { kind: "key", name, ...modifiers(params[1]) }, end };
  }
}
