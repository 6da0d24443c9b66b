/**
 * Request validation: turns a decoded MessagePack value into a typed
 * {@link Request} or a clear error text. Never throws. Each contract
 * service's fields are one {@link FieldRule} in {@link CONTRACT_RULES}; the
 * service table (service-table.ts) takes its rules from there.
 *
 * Lenient where foreign clients differ (missing `timestamp`/`clock`, missing
 * `data` for services without fields, extra fields ignored, numbers of any
 * width, timestamps in ms, seconds or ISO-8601: see tolerant.ts), strict on
 * types and bounds: a clock out of bounds is refused here, before anything
 * merges it.
 *
 * @module
 */
import {
  ERROR_SERVICE,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MAX_ID_CHARS,
  MAX_NAME_CHARS,
  MAX_PASSWORD_BYTES,
  MAX_TEXT_BYTES,
  MAX_TOKEN_CHARS,
  RESERVED_NAMES,
  RESERVED_PREFIX,
  type Request,
  type Service,
} from "./protocol.ts";
import { MAX_CLOCK, readClock, readCount, readTimestamp } from "./tolerant.ts";

export type NameKind = "user" | "channel" | "server" | "peer" | "src" | "dst";

export type ParseResult = { ok: true; req: Request } | { ok: false; service: string; error: string };

const CONTROL = /\p{Cc}/u;
/** Server names also refuse format characters and line separators: they go into logs and addresses. */
const SERVER_CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const ID_CHARS = /^[A-Za-z0-9_.\-]+$/;

/** True if no user or channel may take this name. */
export function isReservedName(s: string): boolean {
  return RESERVED_NAMES.has(s) || s.startsWith(RESERVED_PREFIX);
}

/**
 * Checks a name: a string of 1–64 characters, no control characters, no
 * whitespace at either end, not a reserved name (users, channels, servers).
 * Returns the error text, or null if the name is valid.
 */
export function validateName(kind: NameKind, s: unknown): string | null {
  if (typeof s !== "string") return `${kind} must be a string`;
  if (s.length === 0) return `${kind} must not be empty`;
  const chars = [...s].length;
  if (chars > MAX_NAME_CHARS) return `${kind} is longer than ${MAX_NAME_CHARS} characters (${chars})`;
  if ((kind === "server" ? SERVER_CONTROL : CONTROL).test(s)) return `${kind} contains a control character`;
  if (s.trim() !== s) return `${kind} has whitespace at an end`;
  // Servers too: a server named `servers` would be listed (and ranked) under a topic name.
  if (isReservedName(s)) return `${kind} '${s}' is a reserved name`;
  return null;
}

/** Checks a message text: a string of at most 64 KiB of UTF-8, not empty. */
export function validateText(s: unknown): string | null {
  if (typeof s !== "string") return "message must be a string";
  if (s.length === 0) return "message must not be empty";
  // Cheap bound first: UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length.
  if (s.length > MAX_TEXT_BYTES || Buffer.byteLength(s, "utf8") > MAX_TEXT_BYTES) {
    return `message is longer than ${MAX_TEXT_BYTES} bytes`;
  }
  return null;
}

/** Checks a client-generated message id: 1–64 of [A-Za-z0-9_.-]. */
export function validateId(s: unknown): string | null {
  if (typeof s !== "string") return "id must be a string";
  if (s.length === 0 || s.length > MAX_ID_CHARS) return `id must be 1–${MAX_ID_CHARS} characters`;
  if (!ID_CHARS.test(s)) return "id may only contain letters, digits, '_', '.' and '-'";
  return null;
}

/** A plain map (what a decoded MessagePack map is). */
export function isMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

type Fields = Record<string, unknown>;
/**
 * Checks one service's own fields in `d`, copying the accepted ones (typed
 * and normalised) into `out`; returns the error text, or null.
 */
export type FieldRule = (d: Fields, out: Fields) => string | null;

/** The sender's stamp: `timestamp` (ms, seconds or ISO-8601) and `clock` (bounded), both optional. */
export function parseStamp(d: Fields, out: Fields): string | null {
  if (d.timestamp !== undefined && d.timestamp !== null) {
    const ts = readTimestamp(d.timestamp);
    if (ts === null) return "timestamp must be milliseconds or seconds since the epoch, or an ISO-8601 string";
    out.timestamp = ts;
  }
  if (d.clock !== undefined && d.clock !== null) {
    const clock = readClock(d.clock);
    if (clock === null) return `clock must be a non-negative number at most ${MAX_CLOCK}`;
    out.clock = clock;
  }
  return null;
}

const name = (field: string, kind: NameKind): FieldRule => (d, out) => {
  if (d[field] === undefined) return `missing field '${field}'`;
  const e = validateName(kind, d[field]);
  if (e) return e;
  out[field] = d[field];
  return null;
};

const text: FieldRule = (d, out) => {
  if (d.message === undefined) return "missing field 'message'";
  const e = validateText(d.message);
  if (e) return e;
  out.message = d.message;
  return null;
};

const optId: FieldRule = (d, out) => {
  if (d.id === undefined || d.id === null) return null;
  const e = validateId(d.id);
  if (e) return e;
  out.id = d.id;
  return null;
};

const optAddress: FieldRule = (d, out) => {
  if (d.address === undefined) return null;
  if (typeof d.address !== "string" || d.address.length === 0 || d.address.length > 256) return "address must be a string of 1–256 characters";
  out.address = d.address;
  return null;
};

/** Extension (owned names): an optional `password`, 1–1024 bytes of UTF-8. */
const optPassword: FieldRule = (d, out) => {
  if (d.password === undefined || d.password === null) return null;
  if (typeof d.password !== "string") return "password must be a string";
  if (d.password.length === 0) return "password must not be empty";
  if (d.password.length > MAX_PASSWORD_BYTES || Buffer.byteLength(d.password, "utf8") > MAX_PASSWORD_BYTES) {
    return `password is longer than ${MAX_PASSWORD_BYTES} bytes`;
  }
  out.password = d.password;
  return null;
};

/** Extension (owned names): a session `token` as `login` returned it, 1–256 characters. */
const token = (required: boolean): FieldRule => (d, out) => {
  if (d.token === undefined || d.token === null) return required ? "missing field 'token'" : null;
  if (typeof d.token !== "string" || d.token.length === 0 || d.token.length > MAX_TOKEN_CHARS) {
    return `token must be a string of 1–${MAX_TOKEN_CHARS} characters`;
  }
  out.token = d.token;
  return null;
};

/** All of the rules, in order; the first error wins. */
export function all(...rules: FieldRule[]): FieldRule {
  return (d, out) => {
    for (const r of rules) {
      const e = r(d, out);
      if (e) return e;
    }
    return null;
  };
}

const none: FieldRule = () => null;

const history: FieldRule = (d, out) => {
  if (d.channel !== undefined) {
    if (d.user !== undefined || d.peer !== undefined) return "history takes either 'channel' or 'user' + 'peer'";
    const e = name("channel", "channel")(d, out);
    if (e) return e;
  } else if (d.user !== undefined || d.peer !== undefined) {
    const e = name("user", "user")(d, out) ?? name("peer", "peer")(d, out);
    if (e) return e;
  } else {
    return "history needs 'channel', or 'user' and 'peer'";
  }
  if (d.limit === undefined || d.limit === null) out.limit = HISTORY_DEFAULT_LIMIT;
  else {
    const limit = readCount(d.limit);
    if (limit === null || limit < 1 || limit > HISTORY_MAX_LIMIT) return `limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}`;
    out.limit = limit;
  }
  if (d.before !== undefined && d.before !== null) {
    const bad = "before must be a message id or a non-negative clock";
    if (typeof d.before === "number") {
      const before = readClock(d.before);
      if (before === null) return bad;
      out.before = before;
    } else if (typeof d.before === "string") {
      if (d.before.length === 0 || d.before.length > 200) return bad;
      out.before = d.before;
    } else return bad;
  }
  return null;
};

/**
 * The fields of every service of the contract (protocol.md), by service,
 * with the owned-names extension: `password` on login, `token` on publish,
 * message and history, and the `session` service.
 */
export const CONTRACT_RULES: Readonly<Record<Service, FieldRule>> = {
  login: all(name("user", "user"), optPassword),
  users: none,
  channel: name("channel", "channel"),
  channels: none,
  publish: all(name("user", "user"), name("channel", "channel"), text, optId, token(false)),
  message: all(name("src", "src"), name("dst", "dst"), text, optId, token(false)),
  history: all(history, token(false)),
  session: all(name("user", "user"), token(true)),
  rank: all(name("user", "server"), optAddress),
  list: none,
  heartbeat: name("user", "server"),
  clock: none,
  election: none,
};

/**
 * Parses a decoded request of the contract. On failure, `service` is the
 * service the error reply must carry: the request's own service when it had
 * a string one, else `"error"`. Never throws.
 */
export function parseRequest(raw: unknown, rules: Readonly<Record<string, FieldRule>> = CONTRACT_RULES): ParseResult {
  if (!isMap(raw)) return { ok: false, service: ERROR_SERVICE, error: "request must be a map {service, data}" };
  const service = raw.service;
  if (typeof service !== "string" || service.length === 0 || service.length > 64) {
    return { ok: false, service: ERROR_SERVICE, error: "request has no valid 'service' string" };
  }
  const fail = (error: string): ParseResult => ({ ok: false, service, error });
  const d = raw.data === undefined || raw.data === null ? {} : raw.data;
  if (!isMap(d)) return fail("'data' must be a map");
  const rule = Object.hasOwn(rules, service) ? rules[service] : undefined;
  if (!rule) return fail(`unknown service '${service}'`);
  const data: Fields = {};
  const err = parseStamp(d, data) ?? rule(d, data);
  if (err) return fail(err);
  return { ok: true, req: { service, data } as Request };
}
