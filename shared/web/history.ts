/**
 * One page of history through a client session, paging back with
 * `before` (a message id or a clock), read by the client's tolerant
 * history reader. The session's own `history` has no `before`; this is
 * the same request with it, and, for a registered name (owned names), with
 * the session token its login answered, as the session's own sends it.
 *
 * @module
 */
import { ClientError } from "../client/client-error.ts";
import { historyEntry, type Delivery, type Place } from "../client/delivery.ts";
import { ChatSession } from "../client/session.ts";
import type { Envelope } from "../wire/protocol.ts";

export type PageTarget = { channel: string } | { peer: string };

/**
 * A chat session that remembers the token its last login answered, for
 * the private history pages asked here (the session keeps its own
 * private): a login without one, or to a server that gives none, leaves
 * no token, as in the session.
 */
export class PagedSession extends ChatSession {
  private loginToken: string | null = null;

  /** The token field for a private history request (none without a session token). */
  get historyAuth(): { token?: string } {
    return this.loginToken ? { token: this.loginToken } : {};
  }

  override async request(service: string, data: Record<string, unknown> = {}): Promise<Envelope> {
    const reply = await super.request(service, data);
    if (service === "login") {
      const token = reply.data.token;
      this.loginToken = typeof token === "string" && token.length > 0 ? token : null;
    }
    return reply;
  }
}

/**
 * The `limit` messages before `before` (or the latest), oldest first;
 * `more` when the page came back full, so older ones may exist.
 */
export async function historyPage(
  s: PagedSession,
  target: PageTarget,
  limit: number,
  before?: string | number,
): Promise<{ messages: Delivery[]; more: boolean }> {
  const q = "channel" in target ? { channel: target.channel } : { user: s.user, peer: target.peer, ...s.historyAuth };
  const r = await s.request("history", before === undefined ? { ...q, limit } : { ...q, limit, before });
  const raw = r.data.messages;
  if (!Array.isArray(raw)) throw new ClientError("bad-reply", "history: the reply holds no list of messages");
  const place: Place = "channel" in target ? { channel: target.channel } : { me: s.user, peer: target.peer };
  // A server that ignores `limit` must not make the page unbounded: keep the newest.
  const messages = raw.slice(-limit).map((m) => historyEntry(m, place)).filter((d): d is Delivery => d !== null);
  return { messages, more: raw.length >= limit };
}
