/**
 * What a browser sends, checked before anything acts on it: one JSON text
 * frame in, a typed {@link BrowserRequest} or the reason it is refused
 * out. Pure; never throws. Names, texts and message ids follow the
 * contract's own rules (wire/validate.ts), a login's optional password by
 * the servers' bound; unknown fields are dropped, so nothing a browser
 * adds travels further. No error text repeats a password.
 *
 * A frame that is not JSON at all is a protocol violation (the caller
 * closes the socket); a well-formed frame with a bad field is an error
 * reply, and the session goes on.
 *
 * @module
 */
import { readClock } from "../wire/tolerant.ts";
import { isMap, validateId, validateName, validateText } from "../wire/validate.ts";
import { DEFAULT_PAGE, MAX_PAGE, passwordProblem, type BrowserRequest } from "./protocol.ts";

export type Inbound =
  | { ok: true; req: BrowserRequest }
  /** `ref` is the request's own when it had a usable one (the error reply carries it), else 0. */
  | { ok: false; fatal: boolean; ref: number; error: string };

const CONTROL = /\p{Cc}/u;

/** Parses one text frame. */
export function parseFrame(text: string): Inbound {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, fatal: true, ref: 0, error: "frame is not JSON" };
  }
  if (!isMap(raw)) return { ok: false, fatal: true, ref: 0, error: "frame is not a JSON object" };
  const ref = typeof raw.ref === "number" && Number.isSafeInteger(raw.ref) && raw.ref > 0 ? raw.ref : 0;
  const fail = (error: string): Inbound => ({ ok: false, fatal: false, ref, error });
  if (ref === 0) return fail("'ref' must be a positive integer");
  const req = check(raw, ref);
  return typeof req === "string" ? fail(req) : { ok: true, req };
}

/** The request, or the text of what is wrong with it. */
function check(d: Record<string, unknown>, ref: number): BrowserRequest | string {
  const name = (field: string, kind: "user" | "channel" | "dst" | "peer"): string | null =>
    d[field] === undefined ? `missing field '${field}'` : validateName(kind, d[field]);
  const textAndId = (): string | null => (d.text === undefined ? "missing field 'text'" : validateText(d.text)) ?? (d.id === undefined ? "missing field 'id'" : validateId(d.id));
  switch (d.t) {
    case "login": {
      const bad = name("user", "user") ?? (d.password === undefined ? null : passwordProblem(d.password));
      if (bad) return bad;
      return d.password === undefined ? { t: "login", ref, user: d.user as string } : { t: "login", ref, user: d.user as string, password: d.password as string };
    }
    case "join":
    case "part":
      return name("channel", "channel") ?? { t: d.t, ref, channel: d.channel as string };
    case "publish":
      return name("channel", "channel") ?? textAndId() ?? { t: "publish", ref, channel: d.channel as string, text: d.text as string, id: d.id as string };
    case "message":
      return name("dst", "dst") ?? textAndId() ?? { t: "message", ref, dst: d.dst as string, text: d.text as string, id: d.id as string };
    case "history":
      return history(d, ref);
    case "channels":
    case "users":
      return { t: d.t, ref };
    default:
      return typeof d.t === "string" ? `unknown request '${d.t.slice(0, 32)}'` : "missing field 't'";
  }
}

function history(d: Record<string, unknown>, ref: number): BrowserRequest | string {
  const out: Extract<BrowserRequest, { t: "history" }> = { t: "history", ref, limit: DEFAULT_PAGE };
  if ((d.channel === undefined) === (d.peer === undefined)) return "history takes either 'channel' or 'peer'";
  if (d.channel !== undefined) {
    const e = validateName("channel", d.channel);
    if (e) return e;
    out.channel = d.channel as string;
  } else {
    const e = validateName("peer", d.peer);
    if (e) return e;
    out.peer = d.peer as string;
  }
  if (d.limit !== undefined) {
    if (typeof d.limit !== "number" || !Number.isInteger(d.limit) || d.limit < 1 || d.limit > MAX_PAGE) return `limit must be an integer from 1 to ${MAX_PAGE}`;
    out.limit = d.limit;
  }
  if (d.before !== undefined && d.before !== null) {
    const bad = "before must be a message id or a clock";
    if (typeof d.before === "number") {
      const clock = readClock(d.before);
      if (clock === null) return bad;
      out.before = clock;
    } else if (typeof d.before === "string") {
      // Server-made ids (`server1:42`) are wider than client ids: any short text without control characters.
      if (d.before.length === 0 || d.before.length > 200 || CONTROL.test(d.before)) return bad;
      out.before = d.before;
    } else return bad;
  }
  return out;
}
