/**
 * How the line-mode client (stdin piped) shows things: deliveries as
 * `HH:MM:SS [#channel] user: text` or `HH:MM:SS [pm] src → dst: text`, a
 * `/me` action as `HH:MM:SS [#channel] * user text` (a server's ready-made
 * display line as `HH:MM:SS [#channel] line` or `HH:MM:SS [pm] line`),
 * replies, errors.
 * Colours (kleur) only when asked for (the caller passes whether stdout is
 * a TTY).
 *
 * @module
 */
import kleur from "kleur";
import type { Delivery } from "./delivery.ts";

export interface Palette {
  dim(s: string): string;
  channel(s: string): string;
  user(s: string): string;
  self(s: string): string;
  pm(s: string): string;
  error(s: string): string;
  info(s: string): string;
}

const plain = (s: string) => s;
const PLAIN: Palette = { dim: plain, channel: plain, user: plain, self: plain, pm: plain, error: plain, info: plain };
const COLOURED: Palette = {
  dim: (s) => kleur.dim(s),
  channel: (s) => kleur.cyan(s),
  user: (s) => kleur.bold(s),
  self: (s) => kleur.green().bold(s),
  pm: (s) => kleur.magenta(s),
  error: (s) => kleur.red(s),
  info: (s) => kleur.yellow(s),
};

/** The colour set to use: plain text unless `color`. */
export function palette(color: boolean): Palette {
  return color ? COLOURED : PLAIN;
}

/** `HH:MM:SS` in local time. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Control characters in someone else's text would drive our terminal: show them escaped. */
export function sanitize(s: string): string {
  return s.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** `YYYY-MM-DD` in local time. */
export function dateOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** A text starting with this is a `/me` action (readers without the extension show it as is). */
const ACTION = "/me ";

/**
 * One delivery (or history entry) as a line; `me` is highlighted. With
 * `dated`, a message from another day than today starts with its date.
 */
export function formatDelivery(d: Delivery, p: Palette = PLAIN, me?: string, dated = false): string {
  const who = (u: string) => (u === me ? p.self(sanitize(u)) : p.user(sanitize(u)));
  const day = dated && dateOf(d.timestamp) !== dateOf(Date.now()) ? `${dateOf(d.timestamp)} ` : "";
  const t = p.dim(day + timeOfDay(d.timestamp));
  const said = (u: string, text: string) => (text.startsWith(ACTION) ? `* ${who(u)} ${sanitize(text.slice(ACTION.length))}` : `${who(u)}: ${sanitize(text)}`);
  if (d.kind === "channel") {
    return `${t} ${p.channel(`[#${sanitize(d.channel)}]`)} ${said(d.user, d.text)}`;
  }
  if (d.kind === "line") {
    const where = d.private ? p.pm("[pm]") : p.channel(`[#${sanitize(d.topic)}]`);
    return `${t} ${where} ${sanitize(d.text)}`;
  }
  if (d.text.startsWith(ACTION)) return `${t} ${p.pm("[pm]")} ${said(d.src, d.text)} (to ${who(d.dst)})`;
  return `${t} ${p.pm("[pm]")} ${who(d.src)} → ${who(d.dst)}: ${sanitize(d.text)}`;
}

/** A list reply (`users`, `channels`) as one line. */
export function formatList(title: string, items: readonly string[], p: Palette = PLAIN): string {
  const body = items.length ? [...items].sort().map(sanitize).join(", ") : "(none)";
  return `${p.info(`${title} (${items.length}):`)} ${body}`;
}

/** An error line. */
export function formatError(text: string, p: Palette = PLAIN): string {
  return p.error(`error: ${sanitize(text)}`);
}

/** An informational line. */
export function formatInfo(text: string, p: Palette = PLAIN): string {
  return p.info(`* ${sanitize(text)}`);
}
