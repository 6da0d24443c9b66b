/**
 * Tab completion for the client's command line: `(line) => [candidates,
 * fragment]`, the candidates for the word before the cursor. Pure; fed
 * with the known users and channels (loaded at login, kept up to date by
 * presence) and the joined channels. {@link completionSuffix} says what
 * follows a completed word: a space, or `: ` after a nick at the start of
 * a line (IRC's way of addressing someone).
 *
 * @module
 */
import { COMMANDS, findCommand, quoteName } from "./commands.ts";

/** What the completer knows about. */
export interface CompletionSources {
  users: Iterable<string>;
  channels: Iterable<string>;
  joined: Iterable<string>;
}

const COMMAND_WORDS = COMMANDS.map((c) => "/" + c.name);

/** Where the word being completed starts: after the last space, or at an open double quote. */
function fragmentStart(line: string): number {
  let open = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && open >= 0) i++;
    else if (c === '"') open = open >= 0 ? -1 : i;
  }
  if (open >= 0) return open > 0 && (line[open - 1] === "#" || line[open - 1] === "@") ? open - 1 : open;
  return /(\S*)$/.exec(line)!.index;
}

/**
 * Completes the word before the cursor (`line` is the text up to it): a
 * command name at the start; after a command, its argument (`#channel`
 * for /join and /names, a joined channel for /leave, a user for /msg and
 * /query, either for /history, a command for /help); in plain text, users
 * and #channels. Names with spaces come quoted in command arguments.
 */
export function complete(line: string, src: CompletionSources): [string[], string] {
  const start = fragmentStart(line);
  const fragment = line.slice(start);
  const before = line.slice(0, start);
  const words = before.trim() === "" ? [] : before.trim().split(/\s+/);

  if (words.length === 0 && fragment.startsWith("/")) return [match(COMMAND_WORDS, fragment), fragment];

  const cmd = words[0]?.startsWith("/") ? findCommand(words[0].slice(1))?.name ?? "" : null;
  const hash = (xs: Iterable<string>) => [...xs].map((c) => quoteName(c, "#"));
  const people = (xs: Iterable<string>) => [...xs].map((u) => quoteName(u));
  let pool: string[];
  if (cmd === null) pool = [...src.users, ...[...src.channels].map((c) => "#" + c)];
  else if (words.length !== 1) pool = [];
  else if (cmd === "join" || cmd === "names") pool = hash(union(src.channels, src.joined));
  else if (cmd === "leave") pool = hash(src.joined);
  else if (cmd === "msg" || cmd === "query") pool = people(src.users);
  else if (cmd === "history") pool = [...hash(union(src.channels, src.joined)), ...people(src.users)];
  else if (cmd === "help") pool = COMMANDS.map((c) => c.name);
  else if (cmd === "window") pool = ["next", "prev", "close"];
  else pool = [];
  return [match(pool, fragment), fragment];
}

/** What goes after `candidate` completed after `head`: `: ` for a nick opening a line, else a space. */
export function completionSuffix(head: string, candidate: string): string {
  return head.trim() === "" && !candidate.startsWith("/") && !candidate.startsWith("#") ? ": " : " ";
}

function union(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])];
}

/** Candidates starting with the fragment; a quoted candidate also matches its text without the quote. */
function match(pool: string[], fragment: string): string[] {
  const bare = (c: string) => (c.startsWith('"') ? c.slice(1) : c);
  return [...new Set(pool)].filter((w) => w.startsWith(fragment) || (!fragment.startsWith('"') && bare(w).startsWith(fragment))).sort();
}
