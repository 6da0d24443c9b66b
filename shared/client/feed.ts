/**
 * A session's subscription to the proxy: one SUB socket, the topics it is
 * subscribed to (counted, as ZeroMQ counts them), and the loop that hands
 * every message to the session.
 *
 * Owned names (see shared/server/owned-names.ts): a login with a password
 * answers a session token, and the proxy hands a registered user's private
 * messages only to subscribers that authenticated with ZMTP PLAIN as that
 * user (username the user, password the token). `connect(credentials)`
 * with other credentials than the socket has replaces the socket by one
 * that connects with them, subscribed to the same topics; without
 * credentials it connects as before (NULL), which is all a contract proxy
 * knows. Under `--secure` the socket is a CURVE client instead, and the
 * credentials travel (encrypted) as its X-User / X-Token metadata.
 *
 * @module
 */
import type { Subscribable } from "../wire/topic-routes.ts";
import { Subscriber, type SocketOptions } from "../zmq/index.ts";
import { TOKEN_PROPERTY, USER_PROPERTY } from "../wire/protocol.ts";

/** PLAIN credentials for the proxy: the user and its session token. */
export interface Credentials {
  user: string;
  token: string;
}

/** SUB socket that can tell whether it has a publisher (the proxy) connected. */
class FeedSocket extends Subscriber {
  get connected(): boolean {
    return this.peers.length > 0;
  }
}

export class Feed implements Subscribable {
  private sock: FeedSocket | null = null;
  private creds: Credentials | null = null;
  private readonly topics = new Map<string, number>();
  private closed = false;

  /**
   * @param endpoint the proxy's XPUB endpoint
   * @param onMessage every message received, as frames
   * @param onEnd the subscription ended by itself (not by close or a replaced socket)
   */
  constructor(
    private readonly endpoint: string,
    private readonly onMessage: (parts: Buffer[]) => void,
    private readonly onEnd: (e: unknown) => void,
    /** CURVE client options (`--secure`), else none. */
    private readonly security?: SocketOptions,
  ) {}

  /** Whether the socket has the proxy connected. */
  get connected(): boolean {
    return this.sock?.connected ?? false;
  }

  /** Whether `connect` was called. */
  get started(): boolean {
    return this.sock !== null;
  }

  /** The user the socket authenticates as (PLAIN), or null (NULL mechanism). */
  get authenticatedAs(): string | null {
    return this.creds?.user ?? null;
  }

  subscribe(topic: string): void {
    this.topics.set(topic, (this.topics.get(topic) ?? 0) + 1);
    this.sock?.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    const n = this.topics.get(topic) ?? 0;
    if (n === 0) return;
    if (n === 1) this.topics.delete(topic);
    else this.topics.set(topic, n - 1);
    this.sock?.unsubscribe(topic);
  }

  /**
   * Connects to the proxy, with PLAIN `credentials` or without (null).
   * Already connected with the same ones: nothing happens; with others, the
   * socket is replaced by one with the new ones and the same topics.
   */
  connect(credentials: Credentials | null): void {
    if (this.closed) return;
    if (this.sock && same(credentials, this.creds)) return;
    this.sock?.close(); // its loop ends quietly: it is no longer this.sock
    this.creds = credentials;
    const sock = new FeedSocket({ receiveHighWaterMark: 10_000, linger: 0, ...this.authOptions(credentials) });
    sock.connect(this.endpoint);
    for (const [topic, n] of this.topics) for (let i = 0; i < n; i++) sock.subscribe(topic);
    this.sock = sock;
    void this.loop(sock);
  }

  private authOptions(c: Credentials | null): SocketOptions {
    if (this.security) return c ? { ...this.security, metadata: { [USER_PROPERTY]: c.user, [TOKEN_PROPERTY]: c.token } } : this.security;
    return c ? { plainUsername: c.user, plainPassword: c.token } : {};
  }

  close(): void {
    this.closed = true;
    this.sock?.close();
  }

  private async loop(sock: FeedSocket): Promise<void> {
    try {
      for await (const parts of sock) this.onMessage(parts);
    } catch (e) {
      if (sock === this.sock && !this.closed) this.onEnd(e);
    }
  }
}

function same(a: Credentials | null, b: Credentials | null): boolean {
  return a === b || (a !== null && b !== null && a.user === b.user && a.token === b.token);
}
