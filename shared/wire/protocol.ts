/**
 * The chat wire contract (see protocol.md): service names, the typed request
 * envelope, reply builders and the limits every role shares.
 *
 * Replies: `login`/`channel` answer `status: "sucesso" | "erro"` with the
 * error text in `description`; `publish`/`message` answer `status: "OK" |
 * "erro"` with the text in `message`; every other service (and the `error`
 * service for unparsable requests) puts the error text in `description`.
 *
 * @module
 */

/**
 * Services a client (or bot) may send through the broker. `history` and
 * `session` are extensions (see {@link MAX_PASSWORD_BYTES} for owned names).
 */
export const CLIENT_SERVICES = ["login", "users", "channel", "channels", "publish", "message", "history", "session"] as const;
/** Services servers send to the reference server. */
export const REF_SERVICES = ["rank", "list", "heartbeat"] as const;
/** Services servers send to each other's peer endpoint. */
export const PEER_SERVICES = ["clock", "election"] as const;
/** Service name of the reply to a request that cannot be parsed at all. */
export const ERROR_SERVICE = "error";

export type ClientService = (typeof CLIENT_SERVICES)[number];
export type RefService = (typeof REF_SERVICES)[number];
export type PeerService = (typeof PEER_SERVICES)[number];
export type Service = ClientService | RefService | PeerService;

/**
 * Extension: the one-frame message our servers send the broker every
 * BROKER_HEARTBEAT_MS on their backend connection, so that a frozen server
 * leaves the broker's rotation. Never a valid reply (a reply has an
 * envelope); other teams' servers need not send it.
 */
export const BROKER_HEARTBEAT = Buffer.from("heartbeat");
export const BROKER_HEARTBEAT_MS = 250;

/** Topic on which the election winner is announced. */
export const TOPIC_SERVERS = "servers";
/** Topic carrying server-to-server replication records. */
export const TOPIC_REPLICATION = "replication";
/**
 * Names no user or channel may take: the servers' own topics, and any name
 * starting with `$`, kept for future internal topics.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([TOPIC_SERVERS, TOPIC_REPLICATION]);
export const RESERVED_PREFIX = "$";
/**
 * Extension, owned names: a private message to a registered user goes out
 * on topic `$private/<dst>` instead of `<dst>`. The proxy hands it only to
 * subscribers that authenticated (ZMTP PLAIN) as that user, on topic
 * `<dst>` again, so their clients see an ordinary delivery. No user or
 * channel can start with `$`, so this never collides with a name; messages
 * to unregistered names keep topic `<dst>`, as the contract says.
 */
export const PRIVATE_TOPIC_PREFIX = "$private/";
/**
 * Extension, owned names over CURVE (`--secure`): the ZMTP metadata a
 * subscriber sends, encrypted in CURVE's INITIATE, to be known to the
 * proxy as a user (the user name and the session token).
 */
export const USER_PROPERTY = "X-User";
export const TOKEN_PROPERTY = "X-Token";

/** Longest name (users, channels, servers), in characters (code points). */
export const MAX_NAME_CHARS = 64;
/** Longest message text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 64 * 1024;
/**
 * Largest request frame a broker or server reads, in bytes. A text up to
 * 30 times too long still reaches a server and gets its clear `erro`
 * ("longer than 65536 bytes"); a larger frame is not a request of ours, and
 * the connection that sends it is dropped.
 */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** Longest client-generated message id, in characters. */
export const MAX_ID_CHARS = 64;
/**
 * Extension, owned names: `login` may carry a `password` (at most this many
 * UTF-8 bytes), which registers a name that has none and is needed from
 * then on; such a login answers a session `token`, which `publish`,
 * `message` and private `history` for that name must carry (field `token`,
 * at most {@link MAX_TOKEN_CHARS}), and which `session {user, token}`
 * checks. Requests without them work as the contract says for every name
 * nobody registered.
 */
export const MAX_PASSWORD_BYTES = 1024;
export const MAX_TOKEN_CHARS = 256;
/** History page size: default and maximum. */
export const HISTORY_DEFAULT_LIMIT = 100;
export const HISTORY_MAX_LIMIT = 1000;

/** Fields every `data` map may carry. Foreign clients may omit them. */
export interface Stamp {
  timestamp?: number;
  clock?: number;
}

export type LoginRequest = { service: "login"; data: Stamp & { user: string; password?: string } };
export type UsersRequest = { service: "users"; data: Stamp };
export type ChannelRequest = { service: "channel"; data: Stamp & { channel: string } };
export type ChannelsRequest = { service: "channels"; data: Stamp };
export type PublishRequest = {
  service: "publish";
  data: Stamp & { user: string; channel: string; message: string; id?: string; token?: string };
};
export type MessageRequest = {
  service: "message";
  data: Stamp & { src: string; dst: string; message: string; id?: string; token?: string };
};
export type HistoryRequest = {
  service: "history";
  data: Stamp & ({ channel: string } | { user: string; peer: string; token?: string }) & { limit: number; before?: string | number };
};
export type SessionRequest = { service: "session"; data: Stamp & { user: string; token: string } };
export type RankRequest = { service: "rank"; data: Stamp & { user: string; address?: string } };
export type ListRequest = { service: "list"; data: Stamp };
export type HeartbeatRequest = { service: "heartbeat"; data: Stamp & { user: string } };
export type ClockRequest = { service: "clock"; data: Stamp };
export type ElectionRequest = { service: "election"; data: Stamp };

export type ClientRequest =
  | LoginRequest
  | UsersRequest
  | ChannelRequest
  | ChannelsRequest
  | PublishRequest
  | MessageRequest
  | HistoryRequest
  | SessionRequest;
/** Any request of the contract, discriminated by `service`. */
export type Request = ClientRequest | RankRequest | ListRequest | HeartbeatRequest | ClockRequest | ElectionRequest;

/**
 * A reply or publication envelope. Publications of chat messages also carry
 * a top-level display `message` and `timestamp` for flat-dialect readers.
 */
export interface Envelope<D extends object = Record<string, unknown>> {
  service: string;
  data: D & { timestamp: number; clock: number };
  message?: string;
  timestamp?: number;
}

/** Success status word for a service: "sucesso" for login/channel, "OK" otherwise. */
export function okStatus(service: string): "sucesso" | "OK" {
  return service === "login" || service === "channel" ? "sucesso" : "OK";
}

/** Field carrying the error text for a service: `message` for publish/message, else `description`. */
export function errorField(service: string): "message" | "description" {
  return service === "publish" || service === "message" ? "message" : "description";
}

/** Builds a reply `{service, data}` stamped with timestamp (ms) and the given clock. */
export function makeReply(
  service: string,
  data: Record<string, unknown>,
  clock: number,
  now: () => number = Date.now,
): Envelope {
  return { service, data: { ...data, timestamp: now(), clock } };
}

/** Builds an error reply with `status: "erro"` and the text under the contract's field. */
export function errorReply(service: string, text: string, clock: number, now: () => number = Date.now): Envelope {
  return makeReply(service, { status: "erro", [errorField(service)]: text }, clock, now);
}

/** Normalises a timestamp to milliseconds: values below 1e11 are taken as seconds. */
export function toMillis(ts: number): number {
  return ts < 1e11 ? ts * 1000 : ts;
}
