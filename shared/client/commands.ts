/**
 * The IRC-style command line of the interactive client, parsed into typed
 * commands. Pure: a line in, a command or an error text out.
 *
 * `/join #ch` (the `#` is optional sugar; names on the wire have none),
 * `/leave [#ch]`, `/msg user text`, `/users`, `/channels`,
 * `/history [#ch|user] [n]`, `/help [cmd]`, `/quit`; any other line is
 * posted to the current channel (`//text` posts a text starting with `/`).
 * Names are split on whitespace, so a name with inner spaces cannot be typed.
 *
 * @module
 */
import { HISTORY_MAX_LIMIT } from "../wire/protocol.ts";
import { validateName, validateText } from "../wire/validate.ts";

/** Whose history `/history` asks for: a channel, or the conversation with a user. */
export type HistoryTarget = { channel: string } | { user: string };

export type Command =
  | { kind: "empty" }
  | { kind: "say"; text: string }
  | { kind: "join"; channel: string }
  | { kind: "leave"; channel?: string }
  | { kind: "msg"; user: string; text: string }
  | { kind: "users" }
  | { kind: "channels" }
  | { kind: "history"; target?: HistoryTarget; limit?: number }
  | { kind: "help"; topic?: string }
  | { kind: "quit" };

export type Parsed = { ok: true; command: Command } | { ok: false; error: string };

/** One entry of the command table: name, aliases, usage line, what it does. */
export interface CommandSpec {
  name: string;
  aliases: readonly string[];
  usage: string;
  help: string;
}

/** Every command, in the order `/help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  { name: "join", aliases: ["j"], usage: "/join #channel", help: "join a channel (created if it does not exist) and make it current" },
  { name: "leave", aliases: ["part"], usage: "/leave [#channel]", help: "leave the current (or the named) channel" },
  { name: "msg", aliases: ["m", "query"], usage: "/msg user text", help: "send a private message" },
  { name: "users", aliases: ["who"], usage: "/users", help: "list every user" },
  { name: "channels", aliases: ["list"], usage: "/channels", help: "list every channel" },
  { name: "history", aliases: ["h"], usage: "/history [#channel|user] [n]", help: "last n messages of a channel or of a private conversation" },
  { name: "help", aliases: ["?"], usage: "/help [command]", help: "show this help" },
  { name: "quit", aliases: ["exit", "q"], usage: "/quit", help: "leave the chat" },
];

const BY_NAME = new Map<string, CommandSpec>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) BY_NAME.set(n, c);

/** The spec of a command name or alias (without `/`), if any. */
export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Strips one leading `#` (sugar for channel names). */
export function channelName(s: string): string {
  return s.startsWith("#") ? s.slice(1) : s;
}

const ok = (command: Command): Parsed => ({ ok: true, command });
const fail = (error: string): Parsed => ({ ok: false, error });

/** Parses one input line. Never throws. */
export function parseCommand(line: string): Parsed {
  const trimmed = line.replace(/[\r\n]+$/, "").trim();
  if (trimmed === "") return ok({ kind: "empty" });
  if (trimmed.startsWith("//")) return say(trimmed.slice(1));
  if (!trimmed.startsWith("/")) return say(trimmed);

  const [head = "", ...rest] = trimmed.slice(1).split(/\s+/);
  const spec = findCommand(head);
  if (!spec) return fail(`unknown command /${head}; type /help for the list`);
  const usage = () => fail(`usage: ${spec.usage}`);

  switch (spec.name) {
    case "join": {
      if (rest.length !== 1) return usage();
      const channel = channelName(rest[0]!);
      const err = validateName("channel", channel);
      return err ? fail(err) : ok({ kind: "join", channel });
    }
    case "leave": {
      if (rest.length > 1) return usage();
      if (rest.length === 0) return ok({ kind: "leave" });
      const channel = channelName(rest[0]!);
      const err = validateName("channel", channel);
      return err ? fail(err) : ok({ kind: "leave", channel });
    }
    case "msg": {
      // The text keeps its inner spacing: cut the line after the user name.
      const m = /^\/\S+\s+(\S+)\s+([\s\S]+)$/.exec(trimmed);
      if (!m) return usage();
      const user = m[1]!;
      const text = m[2]!;
      const err = validateName("user", user) ?? validateText(text);
      return err ? fail(err) : ok({ kind: "msg", user, text });
    }
    case "users":
    case "channels":
    case "quit":
      return rest.length === 0 ? ok({ kind: spec.name }) : usage();
    case "help":
      if (rest.length > 1) return usage();
      return ok(rest.length === 0 ? { kind: "help" } : { kind: "help", topic: rest[0]!.replace(/^\//, "") });
    case "history":
      return history(rest, usage);
  }
  return fail(`unknown command /${head}`);
}

function say(text: string): Parsed {
  const err = validateText(text);
  return err ? fail(err) : ok({ kind: "say", text });
}

function history(args: string[], usage: () => Parsed): Parsed {
  if (args.length > 2) return usage();
  let target: HistoryTarget | undefined;
  let limit: number | undefined;
  const isCount = (s: string) => /^\d+$/.test(s);
  const parseLimit = (s: string): Parsed | null => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 1 || n > HISTORY_MAX_LIMIT) return fail(`n must be 1–${HISTORY_MAX_LIMIT}`);
    limit = n;
    return null;
  };
  if (args.length === 1 && isCount(args[0]!)) {
    const bad = parseLimit(args[0]!);
    if (bad) return bad;
  } else if (args.length >= 1) {
    const a = args[0]!;
    if (a.startsWith("#")) {
      const channel = channelName(a);
      const err = validateName("channel", channel);
      if (err) return fail(err);
      target = { channel };
    } else {
      const err = validateName("user", a);
      if (err) return fail(err);
      target = { user: a };
    }
    if (args.length === 2) {
      if (!isCount(args[1]!)) return usage();
      const bad = parseLimit(args[1]!);
      if (bad) return bad;
    }
  }
  const command: Command = { kind: "history" };
  if (target) command.target = target;
  if (limit !== undefined) command.limit = limit;
  return ok(command);
}

/** The `/help` text: every command, or one. */
export function helpText(topic?: string): string {
  if (topic) {
    const spec = findCommand(topic);
    if (!spec) return `no command /${topic}; type /help for the list`;
    const aka = spec.aliases.length ? `  (also ${spec.aliases.map((a) => "/" + a).join(", ")})` : "";
    return `${spec.usage}  ${spec.help}${aka}`;
  }
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    "commands:",
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.help}`),
    "  anything else is posted to the current channel (//text posts a text starting with /)",
  ].join("\n");
}
