/**
 * Request validation: turns a decoded MessagePack value into a typed
 * {@link Request} or a clear error text. Never throws.
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
  CLIENT_SERVICES,
  ERROR_SERVICE,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MAX_ID_CHARS,
  MAX_NAME_CHARS,
  MAX_TEXT_BYTES,
  PEER_SERVICES,
  REF_SERVICES,
  RESERVED_NAMES,
  RESERVED_PREFIX,
  type Request,
} from "./protocol.ts";
import { MAX_CLOCK, readClock, readCount, readTimestamp } from "./tolerant.ts";

export type NameKind = "user" | "channel" | "server" | "peer" | "src" | "dst";

export type ParseResult = { ok: true; req: Request } | { ok: false; service: string; error: string };

const CONTROL = /\p{Cc}/u;
const ID_CHARS = /^[A-Za-z0-9_.\-]+$/;
const KNOWN: ReadonlySet<string> = new Set<string>([...CLIENT_SERVICES, ...REF_SERVICES, ...PEER_SERVICES]);
const isKnownService = (s: string) => KNOWN.has(s);

/** True if no user or channel may take this name. */
export function isReservedName(s: string): boolean {
  return RESERVED_NAMES.has(s) || s.startsWith(RESERVED_PREFIX);
}

/**
 * Checks a name: a string of 1–64 characters, no control characters, no
 * whitespace at either end; users and channels may not take a reserved name.
 * Returns the error text, or null if the name is valid.
 */
export function validateName(kind: NameKind, s: unknown): string | null {
  if (typeof s !== "string") return `${kind} must be a string`;
  if (s.length === 0) return `${kind} must not be empty`;
  const chars = [...s].length;
  if (chars > MAX_NAME_CHARS) return `${kind} is longer than ${MAX_NAME_CHARS} characters (${chars})`;
  if (CONTROL.test(s)) return `${kind} contains a control character`;
  if (s.trim() !== s) return `${kind} has whitespace at an end`;
  if (kind !== "server" && isReservedName(s)) return `${kind} '${s}' is a reserved name`;
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

function isMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Parses a decoded request. On failure, `service` is the service the error
 * reply must carry: the request's own service when it had a string one,
 * else `"error"`.
 */
export function parseRequest(raw: unknown): ParseResult {
  try {
    return parse(raw);
  } catch (err) {
    return { ok: false, service: ERROR_SERVICE, error: `malformed request: ${(err as Error)?.message ?? err}` };
  }
}

function parse(raw: unknown): ParseResult {
  if (!isMap(raw)) return { ok: false, service: ERROR_SERVICE, error: "request must be a map {service, data}" };
  const service = raw.service;
  if (typeof service !== "string" || service.length === 0 || service.length > 64) {
    return { ok: false, service: ERROR_SERVICE, error: "request has no valid 'service' string" };
  }
  const fail = (error: string): ParseResult => ({ ok: false, service, error });
  const rawData = raw.data === undefined || raw.data === null ? {} : raw.data;
  if (!isMap(rawData)) return fail("'data' must be a map");
  if (!isKnownService(service)) return fail(`unknown service '${service}'`);
  const d = rawData;
  const data: Record<string, unknown> = {};

  if (d.timestamp !== undefined && d.timestamp !== null) {
    const ts = readTimestamp(d.timestamp);
    if (ts === null) return fail("timestamp must be milliseconds or seconds since the epoch, or an ISO-8601 string");
    data.timestamp = ts;
  }
  if (d.clock !== undefined && d.clock !== null) {
    const clock = readClock(d.clock);
    if (clock === null) return fail(`clock must be a non-negative number at most ${MAX_CLOCK}`);
    data.clock = clock;
  }
  const name = (field: string, kind: NameKind): string | null => {
    if (d[field] === undefined) return `missing field '${field}'`;
    const e = validateName(kind, d[field]);
    if (e) return e;
    data[field] = d[field];
    return null;
  };
  const text = (): string | null => {
    if (d.message === undefined) return "missing field 'message'";
    const e = validateText(d.message);
    if (e) return e;
    data.message = d.message;
    return null;
  };
  const optId = (): string | null => {
    if (d.id === undefined || d.id === null) return null;
    const e = validateId(d.id);
    if (e) return e;
    data.id = d.id;
    return null;
  };
  const first = (...checks: Array<() => string | null>): string | null => {
    for (const c of checks) {
      const e = c();
      if (e) return e;
    }
    return null;
  };

  let err: string | null = null;
  switch (service) {
    case "login":
      err = name("user", "user");
      break;
    case "channel":
      err = name("channel", "channel");
      break;
    case "publish":
      err = first(() => name("user", "user"), () => name("channel", "channel"), text, optId);
      break;
    case "message":
      err = first(() => name("src", "src"), () => name("dst", "dst"), text, optId);
      break;
    case "history":
      err = parseHistory(d, data, name);
      break;
    case "rank":
    case "heartbeat":
      err = name("user", "server");
      if (!err && service === "rank" && d.address !== undefined) {
        if (typeof d.address !== "string" || d.address.length === 0 || d.address.length > 256) {
          err = "address must be a string of 1–256 characters";
        } else data.address = d.address;
      }
      break;
    default: // users, channels, list, clock, election: no fields
      break;
  }
  if (err) return fail(err);
  return { ok: true, req: { service, data } as Request };
}

function parseHistory(
  d: Record<string, unknown>,
  data: Record<string, unknown>,
  name: (field: string, kind: NameKind) => string | null,
): string | null {
  if (d.channel !== undefined) {
    if (d.user !== undefined || d.peer !== undefined) return "history takes either 'channel' or 'user' + 'peer'";
    const e = name("channel", "channel");
    if (e) return e;
  } else if (d.user !== undefined || d.peer !== undefined) {
    const e = name("user", "user") ?? name("peer", "peer");
    if (e) return e;
  } else {
    return "history needs 'channel', or 'user' and 'peer'";
  }
  if (d.limit === undefined || d.limit === null) data.limit = HISTORY_DEFAULT_LIMIT;
  else {
    const limit = readCount(d.limit);
    if (limit === null || limit < 1 || limit > HISTORY_MAX_LIMIT) return `limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}`;
    data.limit = limit;
  }
  if (d.before !== undefined && d.before !== null) {
    if (typeof d.before === "number") {
      const before = readClock(d.before);
      if (before === null) return "before must be a message id or a non-negative clock";
      data.before = before;
    } else if (typeof d.before === "string") {
      if (d.before.length === 0 || d.before.length > 200) return "before must be a message id or a non-negative clock";
      data.before = d.before;
    } else return "before must be a message id or a non-negative clock";
  }
  return null;
}
