/**
 * Tab completion for the client's command line, in node:readline's
 * completer shape: `(line) => [candidates, fragment]`. Pure; fed with the
 * last known user and channel lists and the joined channels.
 *
 * @module
 */
import { COMMANDS } from "./commands.ts";

/** What the completer knows about: refreshed by `/users`, `/channels`, `/join`. */
export interface CompletionSources {
  users: Iterable<string>;
  channels: Iterable<string>;
  joined: Iterable<string>;
}

const COMMAND_WORDS = COMMANDS.map((c) => "/" + c.name);

/**
 * Completes the last word of `line`: a command name at the start; after a
 * command, its argument (`#channel` for /join, a joined channel for /leave,
 * a user for /msg, either for /history); in plain text, users and #channels.
 */
export function complete(line: string, src: CompletionSources): [string[], string] {
  const m = /(\S*)$/.exec(line)!;
  const fragment = m[1]!;
  const before = line.slice(0, line.length - fragment.length);
  const words = before.trim() === "" ? [] : before.trim().split(/\s+/);

  if (words.length === 0 && fragment.startsWith("/")) return [match(COMMAND_WORDS, fragment), fragment];

  const cmd = words[0]?.startsWith("/") ? words[0].slice(1).toLowerCase() : null;
  const hash = (xs: Iterable<string>) => [...xs].map((c) => "#" + c);
  let pool: string[];
  if (cmd === null) pool = [...src.users, ...hash(src.channels)];
  else if (words.length !== 1) pool = [];
  else if (cmd === "join" || cmd === "j") pool = hash(union(src.channels, src.joined));
  else if (cmd === "leave" || cmd === "part") pool = hash(src.joined);
  else if (cmd === "msg" || cmd === "m" || cmd === "query") pool = [...src.users];
  else if (cmd === "history" || cmd === "h") pool = [...hash(union(src.channels, src.joined)), ...src.users];
  else if (cmd === "help") pool = COMMANDS.map((c) => c.name);
  else pool = [];
  return [match(pool, fragment), fragment];
}

function union(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])];
}

function match(pool: string[], fragment: string): string[] {
  return [...new Set(pool)].filter((w) => w.startsWith(fragment)).sort();
}
