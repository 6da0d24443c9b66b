/**
 * Passwords and session tokens (owned names, see protocol.ts) travel in
 * requests and replies like any other field, but no log line may show
 * them: every logger that prints whole messages gets them masked here.
 *
 * @module
 */
import type { Logger } from "../roles/log.ts";

/** Fields no log line shows. */
export const SECRET_FIELDS: readonly string[] = ["password", "token"];

/** The message as a log line may show it: a copy with its `data`'s secret fields masked (the message itself when it has none). */
export function forLog(msg: unknown): unknown {
  const data = (msg as { data?: unknown } | null)?.data;
  if (!data || typeof data !== "object") return msg;
  const d = data as Record<string, unknown>;
  if (!SECRET_FIELDS.some((f) => d[f] !== undefined)) return msg;
  const masked: Record<string, unknown> = { ...d };
  for (const f of SECRET_FIELDS) if (masked[f] !== undefined) masked[f] = "(hidden)";
  return { ...(msg as object), data: masked };
}

/** A logger that masks secret fields in the messages it is given, then hands them to `log`. */
export function maskingLogger(log: Logger): Logger {
  return {
    recv: (peer, msg, lamport) => log.recv(peer, forLog(msg), lamport),
    send: (peer, msg, lamport) => log.send(peer, forLog(msg), lamport),
    info: (text, lamport) => log.info(text, lamport),
    error: (text, lamport) => log.error(text, lamport),
  };
}
