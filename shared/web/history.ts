/**
 * One page of history through a client session, paging back with
 * `before` (a message id or a clock), read by the client's tolerant
 * history reader. The session's own `history` has no `before`; this is
 * the same request with it.
 *
 * @module
 */
import { ClientError } from "../client/client-error.ts";
import { historyEntry, type Delivery, type Place } from "../client/delivery.ts";
import type { ChatSession } from "../client/session.ts";

export type PageTarget = { channel: string } | { peer: string };

/**
 * The `limit` messages before `before` (or the latest), oldest first;
 * `more` when the page came back full, so older ones may exist.
 */
export async function historyPage(
  s: ChatSession,
  target: PageTarget,
  limit: number,
  before?: string | number,
): Promise<{ messages: Delivery[]; more: boolean }> {
  const q = "channel" in target ? { channel: target.channel } : { user: s.user, peer: target.peer };
  const r = await s.request("history", before === undefined ? { ...q, limit } : { ...q, limit, before });
  const raw = r.data.messages;
  if (!Array.isArray(raw)) throw new ClientError("bad-reply", "history: the reply holds no list of messages");
  const place: Place = "channel" in target ? { channel: target.channel } : { me: s.user, peer: target.peer };
  // A server that ignores `limit` must not make the page unbounded: keep the newest.
  const messages = raw.slice(-limit).map((m) => historyEntry(m, place)).filter((d): d is Delivery => d !== null);
  return { messages, more: raw.length >= limit };
}
