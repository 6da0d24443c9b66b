/**
 * Deliveries a client receives on its SUB socket (and the entries of a
 * `history` reply), checked and typed. Pure: untrusted decoded data in, a
 * {@link Delivery} or null out.
 *
 * @module
 */
import { toMillis } from "../protocol.ts";

export type Delivery =
  | { kind: "channel"; channel: string; user: string; text: string; timestamp: number; clock: number; id?: string }
  | { kind: "private"; src: string; dst: string; text: string; timestamp: number; clock: number; id?: string };

const str = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function stamp(d: Record<string, unknown>): { timestamp: number; clock: number; id?: string } {
  const ts = typeof d.timestamp === "number" && Number.isFinite(d.timestamp) && d.timestamp > 0 ? toMillis(d.timestamp) : Date.now();
  const clock = typeof d.clock === "number" && Number.isSafeInteger(d.clock) && d.clock >= 0 ? d.clock : 0;
  return str(d.id) ? { timestamp: ts, clock, id: d.id } : { timestamp: ts, clock };
}

/**
 * Reads one message map as a channel post (`user`, `channel`, `message`) or
 * a private message (`src`, `dst`, `message`); null if it is neither.
 */
export function messageFromData(data: unknown): Delivery | null {
  if (!data || typeof data !== "object" || Array.isArray(data)) return null;
  const d = data as Record<string, unknown>;
  if (typeof d.message !== "string") return null;
  if (str(d.channel) && str(d.user)) return { kind: "channel", channel: d.channel, user: d.user, text: d.message, ...stamp(d) };
  if (str(d.src) && str(d.dst)) return { kind: "private", src: d.src, dst: d.dst, text: d.message, ...stamp(d) };
  return null;
}

/**
 * Reads a publication `[topic, {service, data}]`. SUB filters by prefix, so
 * the topic is compared exactly: a channel post counts only on the topic of
 * its own channel, a private message only on the topic of its destination.
 */
export function parseDelivery(topic: string, payload: unknown): Delivery | null {
  if (!payload || typeof payload !== "object") return null;
  const env = payload as { service?: unknown; data?: unknown };
  const d = messageFromData(env.data);
  if (!d) return null;
  if (env.service === "publish" && d.kind === "channel" && d.channel === topic) return d;
  if (env.service === "message" && d.kind === "private" && d.dst === topic) return d;
  return null;
}
