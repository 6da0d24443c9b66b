/**
 * In-process authentication with ZAP semantics (RFC 27), and what a socket
 * learns about each authenticated peer.
 *
 * The server side of a PLAIN or CURVE handshake asks the socket's
 * `authenticate` hook, once per connection, with what ZAP would put in a
 * request (mechanism, domain, peer address, identity, credentials). The
 * hook allows (optionally naming a user id and metadata, as a ZAP reply's
 * user-id and metadata frames do) or denies with a status code. A denied
 * client gets a ZMTP ERROR command carrying the 3-digit status code (as
 * libzmq sends it) and the connection closes. No hook: CURVE servers accept
 * every client that completes the handshake (libzmq without a ZAP
 * handler); a PLAIN server needs one.
 *
 * Each connection's {@link PeerInfo} (user id, credentials, metadata) is
 * reachable from the socket: `receiveWithPeer()` returns it beside every
 * message (XPUB subscription messages included), `Router.peer(routingId)`
 * looks it up, and the `handshake` event announces it.
 * @module
 */

export type MechanismName = "NULL" | "PLAIN" | "CURVE";

/** What the hook is asked (RFC 27 §"Request"). */
export interface AuthRequest {
  mechanism: "PLAIN" | "CURVE";
  /** The socket's `zapDomain` ("" by default). */
  domain: string;
  /** The client's IP address ("" over ipc). */
  address: string;
  /** The client's Identity property ("" if it sent none). */
  identity: string;
  /** PLAIN: the client's user name and password. */
  username?: string;
  password?: string;
  /** CURVE: the client's long-term public key, Z85. */
  clientPublicKey?: string;
  /**
   * The client's metadata, names lower-cased (CURVE: from its INITIATE;
   * PLAIN authenticates before the metadata, so it is empty there).
   */
  properties?: ReadonlyMap<string, string>;
}

/** RFC 27 §"Reply": 200 success, 300 temporary error, 400 authentication failure, 500 internal error. */
export type AuthDecision =
  | { allow: true; userId?: string; metadata?: Record<string, string> }
  | { allow: false; statusCode?: 300 | 400 | 500; statusText?: string };

/** The hook; throwing (or rejecting) counts as a 500 denial. */
export type Authenticator = (req: AuthRequest) => AuthDecision | boolean | Promise<AuthDecision | boolean>;

/** One authenticated (or, for NULL, merely connected) peer. */
export interface PeerInfo {
  mechanism: MechanismName;
  /** The peer's IP address ("" over ipc) and port (0 over ipc). */
  address: string;
  port: number;
  /** The peer's Socket-Type and Identity from its metadata. */
  socketType: string;
  identity: Buffer | null;
  /**
   * Server side: the user id the hook returned, else the PLAIN user name or
   * the CURVE client key (Z85); "" for NULL and on the client side.
   */
  userId: string;
  /** Server side, PLAIN: the user name the client gave. */
  username?: string;
  /** CURVE: the client's public key on the server, the server's key on the client (Z85). */
  publicKey?: string;
  /**
   * The peer's metadata (names lower-cased, values as UTF-8), plus on the
   * server side the hook's metadata and `user-id`.
   */
  properties: ReadonlyMap<string, string>;
}

/** A decision with its defaults filled in. */
export type Verdict =
  | { allow: true; userId: string; metadata: Record<string, string> }
  | { allow: false; statusCode: 300 | 400 | 500; statusText: string };

/** Normalise whatever the hook returned; anything unexpected is a 500 denial. */
export function toVerdict(d: unknown, defaultUserId: string): Verdict {
  if (d === true) return { allow: true, userId: defaultUserId, metadata: {} };
  if (d !== null && typeof d === "object" && (d as { allow?: unknown }).allow === true) {
    const a = d as { userId?: unknown; metadata?: unknown };
    const metadata: Record<string, string> = {};
    if (a.metadata && typeof a.metadata === "object") {
      for (const [k, v] of Object.entries(a.metadata)) metadata[k] = String(v);
    }
    return { allow: true, userId: typeof a.userId === "string" ? a.userId : defaultUserId, metadata };
  }
  if (d !== null && typeof d === "object" && (d as { allow?: unknown }).allow === false) {
    const r = d as { statusCode?: unknown; statusText?: unknown };
    const code = r.statusCode === 300 || r.statusCode === 500 ? r.statusCode : 400;
    return { allow: false, statusCode: code, statusText: typeof r.statusText === "string" ? r.statusText : "denied" };
  }
  if (d === false) return { allow: false, statusCode: 400, statusText: "denied" };
  return { allow: false, statusCode: 500, statusText: "authenticator returned no decision" };
}

/**
 * Ask the hook; `done` gets the verdict synchronously when the hook answers
 * synchronously, else once its promise settles.
 */
export function askAuthenticator(hook: Authenticator, req: AuthRequest, defaultUserId: string, done: (v: Verdict) => void): void {
  let r: ReturnType<Authenticator>;
  try {
    r = hook(req);
  } catch (e) {
    done({ allow: false, statusCode: 500, statusText: `authenticator threw: ${(e as Error)?.message ?? e}` });
    return;
  }
  if (r !== null && typeof r === "object" && typeof (r as Promise<unknown>).then === "function") {
    (r as Promise<unknown>).then(
      (d) => done(toVerdict(d, defaultUserId)),
      (e) => done({ allow: false, statusCode: 500, statusText: `authenticator failed: ${(e as Error)?.message ?? e}` }),
    );
  } else done(toVerdict(r, defaultUserId));
}

/** Assemble a connection's PeerInfo once its handshake is complete. */
export function makePeerInfo(p: {
  mechanism: MechanismName;
  address: string;
  port: number;
  props: Map<string, Buffer>;
  verdict: Verdict | null;
  username?: string;
  publicKey?: string;
}): PeerInfo {
  const properties = new Map<string, string>();
  for (const [k, v] of p.props) properties.set(k, v.toString("utf8"));
  const userId = p.verdict?.allow ? p.verdict.userId : "";
  if (p.verdict?.allow) {
    for (const [k, v] of Object.entries(p.verdict.metadata)) properties.set(k.toLowerCase(), v);
    properties.set("user-id", userId);
  }
  const id = p.props.get("identity");
  const info: PeerInfo = {
    mechanism: p.mechanism,
    address: p.address,
    port: p.port,
    socketType: properties.get("socket-type") ?? "",
    identity: id && id.length > 0 ? Buffer.from(id) : null,
    userId,
    properties,
  };
  if (p.username !== undefined) info.username = p.username;
  if (p.publicKey !== undefined) info.publicKey = p.publicKey;
  return info;
}
