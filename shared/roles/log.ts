/**
 * One-line logging of every message a role sends or receives:
 *
 * `HH:MM:SS.mmm  L=<lamport>  <role/name> <-|-> <peer> <service>  <key fields>`
 *
 * Colours (kleur) only when stdout is a TTY; `json` mode prints one JSON
 * object per line; `quiet` prints nothing.
 *
 * @module
 */
import kleur from "kleur";

export type LogMode = "text" | "json" | "quiet";

export interface LoggerOptions {
  role: string;
  name?: string;
  mode?: LogMode;
  /** Where lines go; default stdout. */
  write?: (line: string) => void;
  /** Force colours on/off; default: stdout is a TTY. */
  color?: boolean;
  /** Wall clock for the line's time; default Date.now. */
  now?: () => number;
}

/** Longest message text shown in a text line. */
export const MAX_SHOWN_TEXT = 60;

const KEY_FIELDS = [
  "status", "user", "src", "dst", "peer", "channel", "coordinator", "rank", "election",
  "time", "id", "address", "description", "message",
] as const;

export interface Logger {
  /** A message received from `peer`. */
  recv(peer: string, msg: unknown, lamport: number): void;
  /** A message sent to `peer`. */
  send(peer: string, msg: unknown, lamport: number): void;
  /** A free-form event line. */
  info(text: string, lamport?: number): void;
  /** An error line (stderr in text mode). */
  error(text: string, lamport?: number): void;
}

/**
 * Fields no log line shows: passwords and session tokens (owned names)
 * travel like any other field, through every role that logs messages.
 */
export const SECRET_FIELDS: readonly string[] = ["password", "token"];

/** `data` with its secret fields shown as "(hidden)" (the same object when it has none). */
function masked(data: Record<string, unknown>): Record<string, unknown> {
  if (!SECRET_FIELDS.some((f) => data[f] !== undefined)) return data;
  const out = { ...data };
  for (const f of SECRET_FIELDS) if (out[f] !== undefined) out[f] = "(hidden)";
  return out;
}

/** Creates a logger for one role instance. */
export function createLogger(opts: LoggerOptions): Logger {
  const mode = opts.mode ?? "text";
  const write = opts.write ?? ((l: string) => process.stdout.write(l + "\n"));
  const writeErr = opts.write ?? ((l: string) => process.stderr.write(l + "\n"));
  const now = opts.now ?? Date.now;
  const who = opts.name ? `${opts.role}/${opts.name}` : opts.role;
  const useColor = opts.color ?? Boolean(process.stdout.isTTY);
  const c = {
    dim: (s: string) => (useColor ? kleur.dim(s) : s),
    cyan: (s: string) => (useColor ? kleur.cyan(s) : s),
    green: (s: string) => (useColor ? kleur.green(s) : s),
    yellow: (s: string) => (useColor ? kleur.yellow(s) : s),
    red: (s: string) => (useColor ? kleur.red(s) : s),
    bold: (s: string) => (useColor ? kleur.bold(s) : s),
  };

  const line = (dir: "<-" | "->", peer: string, msg: unknown, lamport: number): void => {
    if (mode === "quiet") return;
    const env = (msg ?? {}) as { service?: unknown; data?: unknown };
    const service = typeof env.service === "string" ? env.service : "?";
    const data = env.data && typeof env.data === "object" ? masked(env.data as Record<string, unknown>) : {};
    const t = now();
    if (mode === "json") {
      write(safeJson({ time: t, lamport, who, dir: dir === "<-" ? "recv" : "send", peer, service, data }));
      return;
    }
    const fields = summarize(data);
    const arrow = dir === "<-" ? c.green(dir) : c.yellow(dir);
    const isErr = data.status === "erro";
    const svc = isErr ? c.red(service) : c.bold(service);
    write(`${c.dim(clockText(t))}  L=${lamport}  ${c.cyan(who)} ${arrow} ${peer} ${svc}${fields ? "  " + fields : ""}`);
  };

  const event = (level: "info" | "error", text: string, lamport?: number): void => {
    if (mode === "quiet") return;
    const t = now();
    if (mode === "json") {
      (level === "error" ? writeErr : write)(safeJson({ time: t, lamport, who, level, text }));
      return;
    }
    const body = level === "error" ? c.red(text) : text;
    (level === "error" ? writeErr : write)(
      `${c.dim(clockText(t))}  L=${lamport ?? "-"}  ${c.cyan(who)} ${body}`,
    );
  };

  return {
    recv: (peer, msg, lamport) => line("<-", peer, msg, lamport),
    send: (peer, msg, lamport) => line("->", peer, msg, lamport),
    info: (text, lamport) => event("info", text, lamport),
    error: (text, lamport) => event("error", text, lamport),
  };
}

/** `HH:MM:SS.mmm` in local time. */
export function clockText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** The key fields of a data map as `k=v` pairs; texts quoted and truncated; lists shown by count. */
export function summarize(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of KEY_FIELDS) {
    const v = data[k];
    if (v === undefined || v === null) continue;
    if (k === "message" || k === "description") parts.push(quote(String(v)));
    else parts.push(`${k}=${short(String(v), 40)}`);
  }
  for (const k of ["users", "channels", "list", "messages"]) {
    const v = data[k];
    if (Array.isArray(v)) parts.push(`${k}=[${v.length}]`);
  }
  return parts.join(" ");
}

function quote(s: string): string {
  return JSON.stringify(short(s, MAX_SHOWN_TEXT));
}

function short(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

function safeJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? `<${x.length} bytes>` : x,
  );
}
