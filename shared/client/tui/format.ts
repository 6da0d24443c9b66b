/**
 * What the lines of a window look like, irssi's way: `09:01 <bob> hi`,
 * `09:01  * bob waves` for a `/me` action, `09:01 -!- bob has joined
 * #geral` for events and the client's own notices, and a day-change line
 * between days. A line that mentions our nick, and every private message
 * to us, is a highlight: the speaker's nick in reverse video and the text
 * bold (in colour, yellow). Nicks get a steady colour each; our own is
 * green. With colours off, only bold and reverse remain.
 *
 * @module
 */
import { screenSafe, width } from "./text.ts";
import type { Line } from "./windows.ts";

/** `/me waves` on the wire is an action (the contract's readers show the text as is). */
export const ACTION_PREFIX = "/me ";

export interface TuiPalette {
  color: boolean;
  sgr(codes: string, s: string): string;
}

export function tuiPalette(color: boolean): TuiPalette {
  return {
    color,
    sgr: (codes, s) => {
      // Without colours, keep bold (1), dim (2) and reverse (7) only.
      const kept = color ? codes : codes.split(";").filter((c) => c === "1" || c === "2" || c === "7").join(";");
      return kept ? `\x1b[${kept}m${s}\x1b[0m` : s;
    },
  };
}

const NICK_COLOURS = ["36", "35", "34", "96", "95", "94", "33", "93"];

function nickColour(nick: string): string {
  let h = 0;
  for (const c of nick) h = (h * 31 + c.codePointAt(0)!) >>> 0;
  return NICK_COLOURS[h % NICK_COLOURS.length]!;
}

const two = (n: number) => String(n).padStart(2, "0");

/** `HH:MM` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The local date of a time, `YYYY-MM-DD`. */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** `Tuesday 4 February 2025`, in local time. */
export function dayLabel(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** Whether `text` names `nick` as a word (any case). */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  const esc = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_-])${esc}($|[^\\p{L}\\p{N}_-])`, "iu").test(text);
}

export interface MessageView {
  timestamp: number;
  nick: string;
  text: string;
  /** Our own message. */
  self: boolean;
  /** Highlighted: mentions us, or a private message to us. */
  highlight: boolean;
}

/** A message (or a `/me` action) as a window line. */
export function messageLine(p: TuiPalette, m: MessageView): Line {
  const time = p.sgr("2", clockTime(m.timestamp));
  const nick = screenSafe(m.nick);
  const action = m.text.startsWith(ACTION_PREFIX);
  const text = screenSafe(action ? m.text.slice(ACTION_PREFIX.length) : m.text);
  const nickStyle = m.self ? "1;32" : m.highlight ? "1;33;7" : nickColour(m.nick);
  const body = m.highlight ? p.sgr("1;33", text) : text;
  if (action) {
    const head = `${clockTime(m.timestamp)}  * ${nick} `;
    return { text: `${time}  ${p.sgr(m.highlight ? "1;33;7" : "1", "*")} ${p.sgr(nickStyle, nick)} ${body}`, indent: width(head) };
  }
  const head = `${clockTime(m.timestamp)} <${nick}> `;
  return { text: `${time} ${p.sgr(nickStyle, `<${nick}>`)} ${body}`, indent: width(head) };
}

export type NoticeKind = "info" | "event" | "error" | "good";

/** An event or notice line: `09:01 -!- text`. */
export function noticeLine(p: TuiPalette, text: string, kind: NoticeKind = "info", at = Date.now()): Line {
  const mark = kind === "error" ? p.sgr("1;31", "-!-") : kind === "good" ? p.sgr("1;32", "-!-") : p.sgr("36", "-!-");
  const body = kind === "error" ? p.sgr("31", text) : kind === "event" ? p.sgr("2", text) : text;
  return { text: `${p.sgr("2", clockTime(at))} ${mark} ${body}`, indent: 10 };
}

/** A line of the protocol log, as the logger wrote it. */
export function logLine(p: TuiPalette, text: string): Line {
  return { text: p.sgr("2", screenSafe(text)), indent: 4 };
}

/** Plain text (help, lists): as is, indented under itself. */
export function textLine(text: string, indent = 2): Line {
  return { text, indent };
}

/** The line between two days. */
export function dayLine(p: TuiPalette, ms: number): Line {
  return { text: `${p.sgr("36", "-!-")} ${p.sgr("1", `Day changed to ${dayLabel(ms)}`)}`, indent: 4 };
}
