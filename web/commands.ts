/**
 * The page's input line, parsed: text posts to the open window, `/join`,
 * `/part`, `/msg`, `/query`, `/me`, `/close`, `/list`, `/help`, the same
 * commands and aliases as the terminal client. Pure. Names are checked
 * for what can be seen here (length, spaces, control characters); the
 * gateway checks every rule again.
 *
 * @module
 */

export type Cmd =
  | { kind: "say"; text: string }
  | { kind: "me"; text: string }
  | { kind: "join"; channel: string }
  | { kind: "part"; channel?: string }
  | { kind: "close" }
  | { kind: "msg"; user: string; text: string }
  | { kind: "query"; user: string; text?: string }
  | { kind: "list" }
  | { kind: "users" }
  | { kind: "help" }
  | { kind: "none" }
  | { kind: "error"; error: string };

export const HELP: readonly string[] = [
  "/join #channel — join a channel (created if it does not exist)",
  "/part [#channel] — leave this (or that) channel",
  "/msg user text — send a private message",
  "/query user — open a conversation with a user",
  "/me text — say what you do",
  "/close — close this window",
  "/list — every channel; /users — every user",
  "Enter sends, Shift+Enter starts a new line, Tab completes a name, ↑ recalls what you sent",
];

const ALIASES: Record<string, string> = { j: "join", leave: "part", m: "msg", q: "query", action: "me", wc: "close", channels: "list", "?": "help" };

/** A name as the gateway would take it, or why not. */
export function checkName(kind: string, s: string): string | null {
  if (s === "") return `${kind} must not be empty`;
  if ([...s].length > 64) return `${kind} is longer than 64 characters`;
  if (/\p{Cc}/u.test(s)) return `${kind} contains a control character`;
  if (s.trim() !== s) return `${kind} has whitespace at an end`;
  if (s.startsWith("$") || s === "servers" || s === "replication") return `${kind} '${s}' is a reserved name`;
  return null;
}

/** Parses one line of input. */
export function parseInput(line: string): Cmd {
  const raw = line.replace(/\s+$/, "");
  if (raw.trim() === "") return { kind: "none" };
  if (raw.startsWith("//")) return { kind: "say", text: raw.slice(1) };
  if (!raw.startsWith("/")) return { kind: "say", text: raw };
  const m = /^\/(\S+)\s*([\s\S]*)$/.exec(raw)!;
  const name = ALIASES[m[1]!.toLowerCase()] ?? m[1]!.toLowerCase();
  const rest = m[2]!;
  const words = rest.split(/\s+/).filter(Boolean);
  const usage = (u: string): Cmd => ({ kind: "error", error: `usage: ${u}` });
  switch (name) {
    case "join": {
      if (words.length !== 1) return usage("/join #channel");
      const channel = words[0]!.replace(/^#/, "");
      return named("channel", channel, { kind: "join", channel });
    }
    case "part": {
      if (words.length > 1) return usage("/part [#channel]");
      if (words.length === 0) return { kind: "part" };
      const channel = words[0]!.replace(/^#/, "");
      return named("channel", channel, { kind: "part", channel });
    }
    case "msg":
    case "query": {
      const who = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!who) return usage(name === "msg" ? "/msg user text" : "/query user");
      const user = who[1]!.replace(/^@/, "");
      const text = who[2]!;
      if (name === "msg" && text.trim() === "") return usage("/msg user text");
      return named("user", user, text.trim() === "" ? { kind: "query", user } : { kind: name, user, text });
    }
    case "me":
      return rest.trim() === "" ? usage("/me text") : { kind: "me", text: rest };
    case "close":
    case "list":
    case "users":
    case "help":
      return { kind: name };
    default:
      return { kind: "error", error: `unknown command /${m[1]}; /help lists them` };
  }
}

function named(kind: string, name: string, cmd: Cmd): Cmd {
  const e = checkName(kind, name);
  return e ? { kind: "error", error: e } : cmd;
}
