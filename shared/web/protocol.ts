/**
 * The browser's side of the web gateway: JSON text frames over one
 * WebSocket, their types and the bounds the gateway enforces. Pure and
 * free of Node APIs, so the page imports it too.
 *
 * The browser sends requests, each with a `ref` it picks; the gateway
 * answers each with one `reply` of the same `ref`, and pushes messages
 * (`msg`, a reader-checked {@link Delivery}) and the cluster's
 * reachability (`reach`) as they come. A `bye` says why the gateway is
 * about to close the socket.
 *
 * Owned names: `login` may carry the name's `password`, which the gateway
 * hands to the cluster session and nowhere else (no log line, no reply).
 * A login the cluster refuses because the name is registered, or because
 * the password is wrong, is answered with code `password`.
 *
 * @module
 */
import type { Delivery } from "../client/delivery.ts";

export type { Delivery };

/** Path of the WebSocket endpoint. */
export const WS_PATH = "/ws";

/** Largest frame a browser may send, in bytes: a 64 KiB text escaped in JSON fits twice over. */
export const MAX_FRAME_BYTES = 192 * 1024;
/** Frames a session may send per second, on average, and in a burst. */
export const FRAME_RATE = 20;
export const FRAME_BURST = 60;
/** Requests of one session waiting for the cluster at once; more are refused `busy`. */
export const MAX_IN_FLIGHT = 16;
/** Refused requests a session may make before it is cut off. */
export const MAX_STRIKES = 20;
/** Time a browser has to send its `login`. */
export const LOGIN_TIMEOUT_MS = 10_000;
/** Channels one session may listen to. */
export const MAX_JOINED = 256;
/** Largest history page a browser may ask for, and the one it gets by default. */
export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 100;
/** Longest password, in bytes of UTF-8: the servers' own bound (MAX_PASSWORD_BYTES of wire/protocol.ts). */
export const MAX_PASSWORD_BYTES = 1024;
/** Bytes queued for a browser that reads too slowly before it is cut off. */
export const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** WebSocket close codes the gateway uses (RFC 6455 §7.4.1). */
export const CLOSE = {
  /** A binary frame: we speak JSON text. */
  unsupported: 1003,
  /** A text frame that is not JSON. */
  invalid: 1007,
  /** Too many frames, too many refused requests, no login in time. */
  policy: 1008,
  /** A frame over {@link MAX_FRAME_BYTES}. */
  tooBig: 1009,
  /** The gateway is full or stopping. */
  tryAgain: 1013,
} as const;

/** What a browser asks. `before` pages history back from a message id or clock. */
export type BrowserRequest =
  | { t: "login"; ref: number; user: string; password?: string }
  | { t: "join"; ref: number; channel: string }
  | { t: "part"; ref: number; channel: string }
  | { t: "publish"; ref: number; channel: string; text: string; id: string }
  | { t: "message"; ref: number; dst: string; text: string; id: string }
  | { t: "history"; ref: number; channel?: string; peer?: string; before?: string | number; limit?: number }
  | { t: "channels"; ref: number }
  | { t: "users"; ref: number };

export type RequestType = BrowserRequest["t"];

/** What a successful reply carries, by request. */
export interface ReplyData {
  login: { user: string };
  join: { channel: string; created: boolean };
  part: { channel: string };
  publish: { id: string; timestamp: number };
  message: { id: string; timestamp: number };
  history: { messages: Delivery[]; more: boolean };
  channels: { channels: string[] };
  users: { users: string[] };
}

/**
 * Why a request failed: refused by the cluster, no server reached, a bad
 * request, too many at once, or not logged in; `password`: a login refused
 * because the name is registered and its password is missing or wrong.
 */
export type ErrorCode = "refused" | "password" | "unsupported" | "unreachable" | "bad-request" | "busy" | "state";

export type Reply =
  | { t: "reply"; ref: number; ok: true; data: ReplyData[RequestType] }
  | { t: "reply"; ref: number; ok: false; code: ErrorCode; error: string };

/** What the gateway sends. */
export type GatewayFrame =
  | Reply
  | { t: "msg"; m: Delivery }
  | { t: "reach"; ok: boolean; why?: string }
  | { t: "bye"; reason: string };

/** What is wrong with a password, or null if it is one the servers take (1 to {@link MAX_PASSWORD_BYTES} bytes of UTF-8). */
export function passwordProblem(p: unknown): string | null {
  if (typeof p !== "string") return "password must be a string";
  if (p.length === 0) return "password must not be empty";
  if (p.length > MAX_PASSWORD_BYTES || new TextEncoder().encode(p).length > MAX_PASSWORD_BYTES) return `password is longer than ${MAX_PASSWORD_BYTES} bytes`;
  return null;
}

/** The conversation a message belongs to, seen by `me`: `#channel` or `@peer`. */
export function windowKey(m: Delivery, me: string): string {
  if (m.kind === "channel") return `#${m.channel}`;
  if (m.kind === "private") return `@${m.src === me ? m.dst : m.src}`;
  // A display line on our own topic names no peer: it goes to the conversation named by that topic.
  return m.private ? `@${m.topic}` : `#${m.topic}`;
}
