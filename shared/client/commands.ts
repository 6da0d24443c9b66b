/**
 * The IRC-style command line of the client, parsed into typed commands.
 * Pure: a line in, a command or an error text out.
 *
 * Any line not starting with `/` is posted to the current window's channel
 * or conversation (`//text` posts a text starting with `/`). Arguments are
 * split on spaces; a name with spaces in it is written in double quotes
 * (`/msg "ana smith" hi`, `/join "#my channel"`, with `\"` and `\\`
 * inside), so every name a user can have can be addressed. A leading `#`
 * marks a channel and a leading `@` a user; both are sugar, names on the
 * wire have none.
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
  | { kind: "me"; text: string }
  | { kind: "join"; channel: string }
  | { kind: "leave"; channel?: string }
  | { kind: "msg"; user: string; text: string }
  | { kind: "query"; user: string; text?: string }
  | { kind: "names"; channel?: string }
  | { kind: "who" }
  | { kind: "users" }
  | { kind: "channels" }
  | { kind: "history"; target?: HistoryTarget; limit?: number }
  | { kind: "window"; go: number | "next" | "prev" | "close" }
  | { kind: "clear" }
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
  { name: "join", aliases: ["j"], usage: "/join #channel", help: "join a channel (created if it does not exist) in its own window" },
  { name: "leave", aliases: ["part"], usage: "/leave [#channel]", help: "leave the current (or the named) channel" },
  { name: "msg", aliases: ["m"], usage: "/msg user text", help: "send a private message" },
  { name: "query", aliases: ["q"], usage: "/query user [text]", help: "open a conversation window with a user" },
  { name: "me", aliases: ["action"], usage: "/me text", help: "say what you do: * ana waves" },
  { name: "names", aliases: ["n"], usage: "/names [#channel]", help: "who is in the channel now" },
  { name: "who", aliases: [], usage: "/who", help: "who is online now, and where" },
  { name: "users", aliases: [], usage: "/users", help: "every user that ever logged in" },
  { name: "channels", aliases: ["list"], usage: "/channels", help: "every channel" },
  { name: "history", aliases: ["h"], usage: "/history [#channel|user] [n]", help: "last n messages of a channel or of a private conversation" },
  { name: "window", aliases: ["win", "w"], usage: "/window N|next|prev|close", help: "go to window N (also Alt-N), the next or previous one, or close this one" },
  { name: "next", aliases: [], usage: "/next", help: "next window (also Ctrl-N)" },
  { name: "prev", aliases: [], usage: "/prev", help: "previous window (also Ctrl-P)" },
  { name: "close", aliases: ["wc"], usage: "/close", help: "close this window (leaving its channel)" },
  { name: "clear", aliases: [], usage: "/clear", help: "clear this window" },
  { name: "help", aliases: ["?"], usage: "/help [command]", help: "show this help" },
  { name: "quit", aliases: ["exit"], usage: "/quit", help: "leave the chat" },
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

/** Strips one leading `@` (sugar for user names). */
export function userName(s: string): string {
  return s.startsWith("@") ? s.slice(1) : s;
}

/** A name as an argument: quoted when it has spaces, quotes or backslashes, or is empty. */
export function quoteName(name: string, sigil = ""): string {
  if (name !== "" && !/[\s"\\]/.test(name)) return sigil + name;
  return `"${sigil}${name.replace(/[\\"]/g, (c) => "\\" + c)}"`;
}

/** One argument: its value and where the text after it starts. */
interface Token {
  value: string;
  end: number;
}

/** The argument starting at or after `i`, or null at the end; throws a text on an unterminated quote. */
export function nextToken(s: string, i: number): Token | null {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  if (i >= s.length) return null;
  if (s[i] !== '"') {
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!)) j++;
    return { value: s.slice(i, j), end: j };
  }
  let value = "";
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === "\\" && j + 1 < s.length) value += s[++j];
    else if (c === '"') return { value, end: j + 1 };
    else value += c;
  }
  throw "unterminated quote";
}

/** Every argument of `s` from `i`. */
function tokens(s: string, i = 0): Token[] {
  const out: Token[] = [];
  for (let t = nextToken(s, i); t; t = nextToken(s, t.end)) out.push(t);
  return out;
}

const ok = (command: Command): Parsed => ({ ok: true, command });
const fail = (error: string): Parsed => ({ ok: false, error });

/** Parses one input line. Never throws. */
export function parseCommand(line: string): Parsed {
  const trimmed = line.replace(/[\r\n]+$/, "").trim();
  if (trimmed === "") return ok({ kind: "empty" });
  if (trimmed.startsWith("//")) return say(trimmed.slice(1));
  if (!trimmed.startsWith("/")) return say(trimmed);
  const head = /^\/(\S+)/.exec(trimmed)![1]!;
  const spec = findCommand(head);
  if (!spec) return fail(`unknown command /${head}; type /help for the list`);
  try {
    return parseArgs(spec, trimmed, 1 + head.length);
  } catch (e) {
    if (typeof e === "string") return fail(e);
    throw e;
  }
}

function parseArgs(spec: CommandSpec, line: string, from: number): Parsed {
  const usage = () => fail(`usage: ${spec.usage}`);
  /** The rest of the line after argument `t`, spacing kept. */
  const restAfter = (t: Token) => line.slice(t.end).replace(/^\s+/, "");
  const rest = tokens(line, from);
  switch (spec.name) {
    case "join": {
      if (rest.length !== 1) return usage();
      return channelArg(rest[0]!.value, (channel) => ({ kind: "join", channel }));
    }
    case "leave":
    case "names": {
      if (rest.length > 1) return usage();
      const kind = spec.name;
      if (rest.length === 0) return ok({ kind });
      return channelArg(rest[0]!.value, (channel) => ({ kind, channel }));
    }
    case "msg":
    case "query": {
      const who = rest[0];
      if (!who) return usage();
      const user = userName(who.value);
      const err = validateName("user", user);
      if (err) return fail(err);
      const text = restAfter(who);
      if (spec.name === "query") return text === "" ? ok({ kind: "query", user }) : textArg(text, (t) => ({ kind: "query", user, text: t }));
      if (text === "") return usage();
      return textArg(text, (t) => ({ kind: "msg", user, text: t }));
    }
    case "me": {
      const text = line.slice(from).trim();
      if (text === "") return usage();
      return textArg(text, (t) => ({ kind: "me", text: t }));
    }
    case "window":
      return windowArgs(rest.map((t) => t.value), usage);
    case "next":
    case "prev":
    case "close":
      return rest.length === 0 ? ok({ kind: "window", go: spec.name }) : usage();
    case "who":
    case "users":
    case "channels":
    case "clear":
    case "quit":
      return rest.length === 0 ? ok({ kind: spec.name }) : usage();
    case "help":
      if (rest.length > 1) return usage();
      return ok(rest.length === 0 ? { kind: "help" } : { kind: "help", topic: rest[0]!.value.replace(/^\//, "") });
    case "history":
      return history(rest.map((t) => t.value), usage);
  }
  return fail(`unknown command /${spec.name}`);
}

function channelArg(raw: string, make: (channel: string) => Command): Parsed {
  const channel = channelName(raw);
  const err = validateName("channel", channel);
  return err ? fail(err) : ok(make(channel));
}

function textArg(text: string, make: (text: string) => Command): Parsed {
  const err = validateText(text);
  return err ? fail(err) : ok(make(text));
}

function say(text: string): Parsed {
  return textArg(text, (t) => ({ kind: "say", text: t }));
}

function windowArgs(args: string[], usage: () => Parsed): Parsed {
  if (args.length !== 1) return usage();
  const a = args[0]!.toLowerCase();
  if (a === "next" || a === "prev" || a === "close") return ok({ kind: "window", go: a });
  if (a === "goto") return usage();
  if (!/^\d{1,4}$/.test(a) || Number(a) < 1) return usage();
  return ok({ kind: "window", go: Number(a) });
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
      const user = userName(a);
      const err = validateName("user", user);
      if (err) return fail(err);
      target = { user };
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
    "  anything else is posted to the current window (//text posts a text starting with /);",
    '  a name with spaces goes in double quotes: /msg "ana smith" hi',
  ].join("\n");
}
