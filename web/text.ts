/**
 * How the page reads message text, with no DOM: the text cut into plain
 * pieces, links (http and https only) and `#channel` names, which the view
 * turns into text nodes and anchors, never HTML; whether a text mentions
 * a name; times and day labels.
 *
 * @module
 */

export type Piece = { kind: "text"; text: string } | { kind: "link"; text: string; href: string } | { kind: "channel"; text: string; channel: string };

/** A URL runs to the next space; trailing punctuation and an unmatched closing bracket stay outside it. */
const TOKEN = /\bhttps?:\/\/[^\s<>"']+|(?<=^|[\s(])#[^\s#,;:!?()<>"']{1,64}/giu;
const TRAILING = /[.,;:!?'")\]}>]+$/u;

/** Cuts a text into plain pieces, links and channel names. */
export function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(TOKEN)) {
    let token = m[0];
    const start = m.index!;
    if (token.startsWith("#")) {
      // "join #room." — the full stop ends the sentence, not the name.
      token = token.replace(TRAILING, "");
      if (token.length < 2) continue;
      if (start > at) out.push({ kind: "text", text: text.slice(at, start) });
      out.push({ kind: "channel", text: token, channel: token.slice(1) });
      at = start + token.length;
      continue;
    }
    let tail = TRAILING.exec(token)?.[0] ?? "";
    // "(see https://x.org/a_(b))": a closing bracket that closes one inside the URL belongs to it.
    while (tail.startsWith(")") && count(token, "(") > count(token.slice(0, token.length - tail.length), ")")) tail = tail.slice(1);
    token = token.slice(0, token.length - tail.length);
    const href = safeHref(token);
    if (!href) continue;
    if (start > at) out.push({ kind: "text", text: text.slice(at, start) });
    out.push({ kind: "link", text: token, href });
    at = start + token.length;
  }
  if (at < text.length) out.push({ kind: "text", text: text.slice(at) });
  return out;
}

function count(s: string, c: string): number {
  let n = 0;
  for (const x of s) if (x === c) n++;
  return n;
}

/** The URL as an href when it parses and is http or https; null otherwise. */
export function safeHref(s: string): string | null {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** Whether `text` names `me` as a word of its own, in any case. */
export function mentions(text: string, me: string): boolean {
  if (me === "") return false;
  const i = text.toLowerCase().indexOf(me.toLowerCase());
  if (i < 0) return false;
  const word = /[\p{L}\p{N}_-]/u;
  for (let at = i; at >= 0; at = text.toLowerCase().indexOf(me.toLowerCase(), at + 1)) {
    const before = text.slice(0, at).slice(-1);
    const after = text.slice(at + me.length).charAt(0);
    if (!word.test(before) && !word.test(after)) return true;
  }
  return false;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `HH:MM` in local time. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The local day of a time, as a number that changes at local midnight. */
export function dayOf(ms: number): number {
  const d = new Date(ms);
  return d.getFullYear() * 10_000 + (d.getMonth() + 1) * 100 + d.getDate();
}

/** "Today", "Yesterday" or the date, for a day separator. */
export function dayLabel(ms: number, now = Date.now()): string {
  const day = dayOf(ms);
  if (day === dayOf(now)) return "Today";
  if (day === dayOf(now - 86_400_000)) return "Yesterday";
  return new Date(ms).toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

/** Control characters other than newline and tab, shown as visible symbols instead of acting. */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => String.fromCodePoint(0x2400 + (c === "\u007f" ? 0x21 : c.charCodeAt(0))));
}
