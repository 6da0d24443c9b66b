/**
 * The page's windows, one per channel or conversation, and the lines in
 * each: every message once (by id), in the order the server keeps them,
 * whether it came live, in a history page on open, in an older page while
 * scrolling up, or in the page that fills the gap after a reconnect;
 * unread counts and mention marks. Pure: no DOM, no sockets.
 *
 * @module
 */
import type { Delivery } from "../shared/web/protocol.ts";
import { readAction } from "../shared/web/action.ts";
import { mentions } from "./text.ts";

export interface Line {
  /** Stable key for the view: the message id, or one made here. */
  key: string;
  id?: string;
  /** Who wrote it; none for a server's display line or the page's own notices. */
  from?: string;
  text: string;
  timestamp: number;
  kind: "message" | "action" | "line" | "notice" | "error";
  own: boolean;
  mention: boolean;
  /** An own post not yet stored ("pending"), or refused ("failed", with why). */
  state?: "pending" | "failed";
  why?: string;
}

export interface Win {
  /** `#channel` or `@user`. */
  key: string;
  type: "channel" | "query";
  name: string;
  lines: Line[];
  ids: Set<string>;
  unread: number;
  mention: boolean;
  /** Time of the newest line read. */
  lastRead: number;
  /** Key of the first line not read when the window was opened: the "new messages" marker. */
  marker: string | null;
  /** The latest page was fetched at least once; older pages may exist; one is being fetched. */
  loaded: boolean;
  more: boolean;
  loading: boolean;
}

/** Lines a window keeps at most; older ones go (and come back by scrolling up). */
export const MAX_LINES = 5000;

let made = 0;
/** A key for a line without an id. */
export const localKey = () => `local-${++made}`;

export function newWindow(key: string, lastRead = 0): Win {
  const type = key.startsWith("#") ? "channel" : "query";
  return { key, type, name: key.slice(1), lines: [], ids: new Set(), unread: 0, mention: false, lastRead, marker: null, loaded: false, more: true, loading: false };
}

/** A delivery as a line, seen by `me`. */
export function toLine(m: Delivery, me: string): Line {
  const from = m.kind === "channel" ? m.user : m.kind === "private" ? m.src : undefined;
  const action = readAction(m.text);
  const own = from === me;
  const line: Line = {
    key: m.id ?? localKey(),
    from,
    text: action ?? m.text,
    timestamp: m.timestamp,
    kind: m.kind === "line" ? "line" : action !== null ? "action" : "message",
    own,
    mention: !own && (m.kind === "private" || mentions(m.text, me)),
  };
  if (m.id !== undefined) line.id = m.id;
  return line;
}

/** Adds a line at the end unless its id is there already; an own pending line with that id is marked stored instead. Returns whether it is new. */
export function append(w: Win, line: Line): boolean {
  if (line.id !== undefined && w.ids.has(line.id)) {
    confirm(w, line.id, line.timestamp);
    return false;
  }
  if (line.id !== undefined) w.ids.add(line.id);
  w.lines.push(line);
  trim(w);
  return true;
}

/**
 * An own post was stored: its line stops being pending. Given the time it
 * was stored, the line moves to where that puts it: a post queued while
 * the connection was down goes after what others said meanwhile, as the
 * server keeps it.
 */
export function confirm(w: Win, id: string, storedAt?: number): void {
  const i = w.lines.findIndex((x) => x.id === id);
  const l = w.lines[i];
  if (l?.state !== "pending") return;
  delete l.state;
  if (storedAt === undefined || storedAt <= l.timestamp) return;
  l.timestamp = storedAt;
  w.lines.splice(i, 1);
  let j = w.lines.length;
  while (j > i && (w.lines[j - 1]!.timestamp > storedAt || w.lines[j - 1]!.state === "pending")) j--;
  w.lines.splice(j, 0, l);
}

/** An own post was refused: its line says why. */
export function fail(w: Win, id: string, why: string): void {
  const l = w.lines.find((x) => x.id === id);
  if (l) {
    l.state = "failed";
    l.why = why;
  }
}

/**
 * Merges the latest history page (oldest first) into the window: each
 * message not there yet goes in after the last line not newer than it.
 * A page that shares nothing with a window holding messages means a gap
 * wider than a page: the window starts over from the page. Returns the
 * lines that are new.
 */
export function mergeLatest(w: Win, page: Line[], more: boolean): Line[] {
  const overlaps = page.some((l) => l.id !== undefined && w.ids.has(l.id));
  const held = w.lines.some((l) => l.id !== undefined && l.state === undefined);
  if (!overlaps && held && page.length > 0 && more && w.loaded) {
    // Kept: own posts not stored yet, and lines newer than the page (they came live meanwhile).
    const newest = page[page.length - 1]!.timestamp;
    const keep = w.lines.filter((l) => l.state !== undefined || l.timestamp > newest);
    w.lines = [];
    w.ids = new Set(keep.map((l) => l.id!).filter(Boolean));
    for (const l of page) append(w, l);
    w.lines.push(...keep.filter((l) => !page.some((p) => p.id === l.id)));
    w.more = true;
    return page;
  }
  if (!w.loaded) w.more = more;
  const added: Line[] = [];
  // The page's own order is the server's: after the first new line, each goes right after the one before it.
  let after = -1;
  for (const l of page) {
    if (l.id !== undefined && w.ids.has(l.id)) {
      confirm(w, l.id, l.timestamp);
      after = w.lines.findIndex((x) => x.id === l.id);
      continue;
    }
    let i = after + 1;
    if (after < 0) {
      i = w.lines.length;
      while (i > 0 && (w.lines[i - 1]!.timestamp > l.timestamp || w.lines[i - 1]!.state === "pending")) i--;
    }
    w.lines.splice(i, 0, l);
    after = i;
    if (l.id !== undefined) w.ids.add(l.id);
    added.push(l);
  }
  trim(w);
  return added;
}

/** Puts an older page (oldest first) before the window's lines; returns how many were new. */
export function prependOlder(w: Win, page: Line[], more: boolean): number {
  const fresh = page.filter((l) => l.id === undefined || !w.ids.has(l.id));
  for (const l of fresh) if (l.id !== undefined) w.ids.add(l.id);
  w.lines = [...fresh, ...w.lines];
  // A server that ignores `before` sends the same page again: nothing new means nothing older.
  w.more = more && fresh.length > 0;
  return fresh.length;
}

/** The id or clock to page back from: the oldest stored message's. */
export function oldestRef(w: Win): string | undefined {
  return w.lines.find((l) => l.id !== undefined && l.state === undefined)?.id;
}

/** A line arrived: counts it as unread (and a mention) unless it is read as it comes. */
export function countUnread(w: Win, l: Line, seen: boolean): void {
  if (l.own || l.kind === "notice" || l.kind === "error") return;
  if (seen) {
    w.lastRead = Math.max(w.lastRead, l.timestamp);
    return;
  }
  if (l.timestamp <= w.lastRead) return;
  w.unread++;
  if (l.mention) w.mention = true;
}

/** The window is being looked at: the marker goes before the first unread line, and everything is read. */
export function markRead(w: Win, keepMarker: boolean): void {
  if (!keepMarker) {
    const first = w.lines.find((l) => !l.own && l.timestamp > w.lastRead && l.kind !== "notice" && l.kind !== "error");
    w.marker = first?.key ?? null;
  }
  w.unread = 0;
  w.mention = false;
  for (const l of w.lines) if (l.timestamp > w.lastRead && l.state === undefined) w.lastRead = l.timestamp;
}

/** A notice (or error) of the page's own, in a window. */
export function notice(w: Win, text: string, kind: "notice" | "error" = "notice"): void {
  w.lines.push({ key: localKey(), text, timestamp: Date.now(), kind, own: false, mention: false });
  trim(w);
}

function trim(w: Win): void {
  if (w.lines.length <= MAX_LINES) return;
  for (const l of w.lines.splice(0, w.lines.length - MAX_LINES)) if (l.id !== undefined) w.ids.delete(l.id);
  w.more = true;
}
