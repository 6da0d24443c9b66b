/**
 * What a server's reply says, from ours and from other teams' servers
 * (dialects.md): the fields under `data`, or at the top level when a server
 * sends them flat; `status` in any spelling ({@link readStatus}); the error
 * text under `description`, `message` or `error`, or none at all; and
 * whether the refusal means the server does not offer the service. Pure.
 *
 * @module
 */
import { readStatus } from "../wire/tolerant.ts";

export type ReplyReading =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; text: string | null; unsupported: boolean };

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** The reply's fields: its `data` map, or the top level (without `service`) of a flat reply. */
export function replyFields(reply: unknown): Record<string, unknown> {
  if (!isMap(reply)) return {};
  if (isMap(reply.data)) return reply.data;
  const { service: _service, data: _data, ...flat } = reply;
  return flat;
}

/** Servers' own words for "no such service", in English and Portuguese. */
const NOT_OFFERED = [
  /\b(unknown|unsupported|unrecogni[sz]ed|invalid|bad|no such)\s+(service|command|operation|method|action|request type)\b/i,
  /\b(service|command|operation|method|action)\b.*\b(unknown|unsupported|unrecogni[sz]ed|not (supported|implemented|available|offered|found)|does ?n[o']t exist)\b/i,
  /\bnot (supported|implemented)\b/i,
  /\b(servi[çc]o|comando|opera[çc][ãa]o)\s+(desconhecid[oa]|inv[áa]lid[oa]|n[ãa]o\s+(suportad[oa]|implementad[oa]|existe))/i,
  /\bn[ãa]o\s+(suportad[oa]|implementad[oa])\b/i,
];

/**
 * Whether a refusal of `service` says the server does not offer it: its
 * words say so, or it answered under another service (`error`) giving no
 * other reason.
 */
function notOffered(service: string, replyService: unknown, why: string | null): boolean {
  if (why === null) return typeof replyService === "string" && replyService !== service;
  if (NOT_OFFERED.some((re) => re.test(why))) return true;
  // "history: unknown", "serviço history desconhecido": the service named beside the word.
  const name = service.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`\\b${name}\\b`, "i").test(why) && /\b(unknown|unsupported)\b|desconhecid[oa]/i.test(why);
}

/**
 * Reads the reply to a request for `service`. An error is a `status` that
 * reads as one, a reply under `service: "error"`, or an `error` text with no
 * status at all; anything else is the success the caller then reads.
 */
export function readReply(service: string, reply: unknown): ReplyReading {
  const data = replyFields(reply);
  const replyService = isMap(reply) ? reply.service : undefined;
  const status = readStatus(data.status);
  const failed = status === "error" || (status === null && (replyService === "error" || text(data.error) !== null));
  if (!failed) return { ok: true, data };
  const why = text(data.description) ?? text(data.message) ?? text(data.error);
  return { ok: false, text: why, unsupported: notOffered(service, replyService, why) };
}

/** The line a user reads for a refusal of `service`. */
export function refusalText(service: string, r: { text: string | null; unsupported: boolean }): string {
  if (r.unsupported) return `this server does not offer ${service}${r.text ? `: ${r.text}` : ""}`;
  return `${service}: ${r.text ?? "the server refused without giving a reason"}`;
}
