/**
 * The seed team's flat dialect (dialects.md): their Python, Node and C#
 * clients send `{command, username | user, topic, payload, timestamp}` with
 * no `service` and no `data`, and read a flat reply with a top-level
 * `status` (`"OK"` on success), `clock`, `users`/`channels`, and `message`
 * as the error text. This module translates a request into the contract's
 * `{service, data}` and a contract reply back; the services, storage and
 * replication behind them are the same for everyone.
 *
 * Their `timestamp` is their Lamport counter, so it is taken as `clock`
 * (a value of 1e11 or more is clearly a wall clock in ms and stays a
 * timestamp). They publish to `general` without creating it, so a dialect
 * `publish` to a channel that does not exist creates it.
 *
 * @module
 */
import type { Envelope } from "./protocol.ts";
import { SECONDS_BELOW } from "./tolerant.ts";

type Map = Record<string, unknown>;

function isMap(v: unknown): v is Map {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** True for a request in the seed dialect: a map with a string `command` and no `service`. */
export function isSeedRequest(raw: unknown): raw is Map {
  return isMap(raw) && typeof raw.command === "string" && raw.service === undefined;
}

/** The first of the fields that is present (their clients name the same thing differently). */
function pick(raw: Map, ...fields: string[]): unknown {
  for (const f of fields) if (raw[f] !== undefined && raw[f] !== null) return raw[f];
  return undefined;
}

/** The contract request a seed-dialect request stands for (the validator then checks it like any other). */
export function fromSeed(raw: Map): { service: string; data: Map } {
  const service = raw.command as string;
  const data: Map = {};
  const ts = raw.timestamp;
  if (typeof ts === "number" && ts >= SECONDS_BELOW) data.timestamp = ts;
  else if (ts !== undefined) data.clock = ts;
  if (raw.clock !== undefined) data.clock = raw.clock;
  const set = (to: string, ...from: string[]) => {
    const v = pick(raw, ...from);
    if (v !== undefined) data[to] = v;
  };
  switch (service) {
    case "login":
      set("user", "username", "user");
      break;
    case "channel":
      set("channel", "channel", "topic", "name");
      break;
    case "publish":
      set("user", "user", "username");
      set("channel", "topic", "channel");
      set("message", "payload", "message");
      set("id", "id");
      break;
    case "message":
      set("src", "user", "username", "src");
      set("dst", "topic", "dst");
      set("message", "payload", "message");
      set("id", "id");
      break;
    case "history":
      set("channel", "channel");
      if (data.channel === undefined && raw.peer === undefined) set("channel", "topic");
      set("user", "user", "username");
      set("peer", "peer");
      set("limit", "limit");
      set("before", "before");
      if (data.channel !== undefined) delete data.user;
      break;
  }
  return { service, data };
}

/**
 * A contract reply as the seed clients read it: every data field at the top
 * level, `status` `"OK"` or `"erro"`, and the error text under both
 * `message` and `description` (their clients print one or the other).
 */
export function toSeedReply(reply: Envelope): Map {
  const { status, ...rest } = reply.data as Map;
  const failed = status === "erro";
  const out: Map = { ...rest, status: failed ? "erro" : "OK" };
  if (failed) {
    const text = rest.message ?? rest.description;
    out.message = text;
    out.description = text;
  }
  return out;
}
