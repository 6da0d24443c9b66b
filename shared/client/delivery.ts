/**
 * Deliveries a client receives on its SUB socket (and the entries of a
 * `history` reply), checked and typed. Pure: untrusted decoded data in, a
 * {@link Delivery} or null out.
 *
 * Ours are enveloped, `{service, data}`; other teams' servers publish flat
 * maps (dialects.md): `{user, message, timestamp, clock}` (a post on the
 * channel of the topic, or a private message when the topic is our own
 * name) or a ready-made display line `{message, timestamp}`. A valid
 * envelope decides alone: top-level extras beside it are never shown.
 *
 * @module
 */
import { readClock, readTimestamp } from "../wire/tolerant.ts";

export type Delivery =
  | { kind: "channel"; channel: string; user: string; text: string; timestamp: number; clock: number; id?: string }
  | { kind: "private"; src: string; dst: string; text: string; timestamp: number; clock: number; id?: string }
  /** A display line shown as is, on the topic it came on: a channel, or our own name when `private`. */
  | { kind: "line"; topic: string; private: boolean; text: string; timestamp: number; clock: number; id?: string };

type Stamp = { timestamp: number; clock: number; id?: string };

const str = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function stamp(d: Record<string, unknown>): Stamp {
  const timestamp = readTimestamp(d.timestamp) ?? Date.now();
  const clock = readClock(d.clock) ?? 0;
  return str(d.id) ? { timestamp, clock, id: d.id } : { timestamp, clock };
}

/**
 * Reads one message map as a channel post (`user`, `channel`, `message`) or
 * a private message (`src`, `dst`, `message`); null if it is neither.
 */
export function messageFromData(data: unknown): Delivery | null {
  if (!isMap(data)) return null;
  const d = data;
  if (typeof d.message !== "string") return null;
  if (str(d.channel) && str(d.user)) return { kind: "channel", channel: d.channel, user: d.user, text: d.message, ...stamp(d) };
  if (str(d.src) && str(d.dst)) return { kind: "private", src: d.src, dst: d.dst, text: d.message, ...stamp(d) };
  return null;
}

/** Whether a message belongs on `topic`: a post on its channel's, a private message on its destination's. */
function onItsTopic(d: Delivery, topic: string): boolean {
  return d.kind === "channel" ? d.channel === topic : d.kind === "private" && d.dst === topic;
}

/** Where a message came from: a channel, or our (`me`) conversation with `peer`. */
export type Place = { channel: string } | { me: string; peer: string };

/**
 * Reads a map with a `message` but neither `channel` nor `src`/`dst`, from
 * where it came: `{user, message}` is a post in the channel or a private
 * message from `user`; a bare `{message}` is a display line.
 */
function looseMessage(d: Record<string, unknown>, place: Place): Delivery | null {
  if (typeof d.message !== "string") return null;
  if (str(d.user)) {
    if ("channel" in place) return { kind: "channel", channel: place.channel, user: d.user, text: d.message, ...stamp(d) };
    const dst = d.user === place.me ? place.peer : place.me;
    return { kind: "private", src: d.user, dst, text: d.message, ...stamp(d) };
  }
  if (d.message === "") return null;
  const topic = "channel" in place ? place.channel : place.peer;
  return { kind: "line", topic, private: !("channel" in place), text: d.message, ...stamp(d) };
}

/**
 * Reads a publication `[topic, payload]`; `me` is our own user name (its
 * topic carries private messages). SUB filters by prefix, so the topic is
 * compared exactly: a post counts only on its own channel's topic, a
 * private message only on its destination's; a loose flat map belongs to
 * the topic it came on, and the caller keeps only topics it listens to.
 */
export function parseDelivery(topic: string, payload: unknown, me?: string): Delivery | null {
  if (!isMap(payload)) return null;
  if (typeof payload.service === "string") {
    const d = messageFromData(payload.data);
    if (d) {
      if (payload.service === "publish" && d.kind === "channel" && d.channel === topic) return d;
      if (payload.service === "message" && d.kind === "private" && d.dst === topic) return d;
      return null;
    }
  }
  const full = messageFromData(payload);
  if (full) return onItsTopic(full, topic) ? full : null;
  return looseMessage(payload, me !== undefined && topic === me ? { me, peer: me } : { channel: topic });
}

/** Reads one entry of a `history` reply: ours are full message maps, other servers' may be loose. */
export function historyEntry(raw: unknown, place: Place): Delivery | null {
  if (!isMap(raw)) return null;
  return messageFromData(raw) ?? looseMessage(raw, place);
}

/**
 * Whether `d` is our own post of `text` in `channel` coming back without an
 * id we know: a post by `me`, or a display line ending in `me: text`.
 */
export function isOwnPost(d: Delivery, me: string, channel: string, text: string): boolean {
  if (d.kind === "channel") return d.channel === channel && d.user === me && d.text === text;
  if (d.kind !== "line" || d.private || d.topic !== channel) return false;
  const tail = `${me}: ${text}`;
  if (d.text === tail) return true;
  // The name must start a word: `xana: hi` is not ana's.
  return d.text.endsWith(tail) && /[\s\]>)]/.test(d.text.charAt(d.text.length - tail.length - 1));
}
