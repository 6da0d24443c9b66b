/**
 * The terminal client's files, where the XDG base directories put them:
 * the config (`$XDG_CONFIG_HOME/bbs-chat/config.json`, by default
 * `~/.config/bbs-chat/config.json`) and the input history
 * (`$XDG_STATE_HOME/bbs-chat/history`, by default
 * `~/.local/state/bbs-chat/history`), so typed lines come back with the
 * Up key in the next run.
 *
 * ```json
 * { "nick": "ana", "password": "…", "autojoin": ["geral", "news"], "colors": true, "bell": true }
 * ```
 *
 * `password` is the nick's password (owned names): a config file that
 * holds one should be readable by its owner only, and a warning says so
 * when it is not.
 *
 * Every key is optional. A missing file is no config; a file that cannot
 * be read, or a key with a bad value, gives a warning and the default,
 * never a failed start.
 *
 * @module
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { validateName } from "../wire/validate.ts";

export interface ClientConfig {
  /** User name to log in with when `--user` is not given. */
  nick?: string;
  /** The user name's password, when `--password` / CHAT_PASSWORD is not given. */
  password?: string;
  /** Channels joined at login, each in its own window. */
  autojoin: string[];
  colors: boolean;
  /** Ring the terminal bell on a mention or a private message. */
  bell: boolean;
}

export const DEFAULT_CONFIG: ClientConfig = { autojoin: [], colors: true, bell: true };

/** Most history lines kept. */
export const HISTORY_LINES = 500;

type Env = Record<string, string | undefined>;

/** The directory of one XDG kind (`XDG_CONFIG_HOME` or `XDG_STATE_HOME`), with the app's folder. */
function xdgDir(env: Env, variable: "XDG_CONFIG_HOME" | "XDG_STATE_HOME", fallback: string): string {
  const base = env[variable];
  // The spec: a relative path is invalid and is ignored.
  const root = base && base.startsWith("/") ? base : join(env.HOME || homedir(), fallback);
  return join(root, "bbs-chat");
}

export function configPath(env: Env = process.env): string {
  return join(xdgDir(env, "XDG_CONFIG_HOME", ".config"), "config.json");
}

export function historyPath(env: Env = process.env): string {
  return join(xdgDir(env, "XDG_STATE_HOME", join(".local", "state")), "history");
}

/** Reads the config at `path`; returns it with the warnings to show. */
export function loadConfig(path: string): { config: ClientConfig; warnings: string[] } {
  const config: ClientConfig = { ...DEFAULT_CONFIG, autojoin: [] };
  const warnings: string[] = [];
  if (!existsSync(path)) return { config, warnings };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return { config, warnings: [`${path}: ${(e as Error).message}; using the defaults`] };
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { config, warnings: [`${path}: not a JSON object; using the defaults`] };
  const o = raw as Record<string, unknown>;
  const bad = (key: string, why: string) => warnings.push(`${path}: "${key}" ${why}; ignored`);
  for (const key of Object.keys(o)) if (!["nick", "password", "autojoin", "colors", "bell"].includes(key)) bad(key, "is not a setting");
  if (o.nick !== undefined) {
    // Names are strings: `"nick": 7` is refused, not read as "7".
    const err = typeof o.nick === "string" ? validateName("user", o.nick) : "must be a string (in quotes)";
    if (err) bad("nick", err);
    else config.nick = o.nick as string;
  }
  if (o.password !== undefined) {
    if (typeof o.password !== "string" || o.password.length === 0) bad("password", "must be a non-empty string");
    else {
      config.password = o.password;
      if (readableByOthers(path)) warnings.push(`${path} holds a password and others can read it: chmod 600 ${path}`);
    }
  }
  if (o.autojoin !== undefined) {
    if (!Array.isArray(o.autojoin)) bad("autojoin", "must be a list of channel names");
    else {
      for (const c of o.autojoin) {
        const name = typeof c === "string" && c.startsWith("#") ? c.slice(1) : c;
        const err = typeof name === "string" ? validateName("channel", name) : "must be a string";
        if (err) bad("autojoin", `entry ${JSON.stringify(c)}: ${err}`);
        else if (!config.autojoin.includes(name as string)) config.autojoin.push(name as string);
      }
    }
  }
  for (const key of ["colors", "bell"] as const) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== "boolean") bad(key, "must be true or false");
    else config[key] = o[key] as boolean;
  }
  return { config, warnings };
}

function readableByOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** The input history kept across runs: read once, appended line by line, trimmed now and then. */
export class InputHistory {
  readonly lines: string[];

  constructor(
    private readonly path: string | null,
    private readonly onError: (why: string) => void = () => {},
  ) {
    this.lines = path ? read(path) : [];
  }

  /** Adds a submitted line (not a repeat of the last one). */
  add(line: string): void {
    if (line.trim() === "" || this.lines.at(-1) === line) return;
    this.lines.push(line);
    if (!this.path) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if (this.lines.length > HISTORY_LINES * 2) {
        this.lines.splice(0, this.lines.length - HISTORY_LINES);
        writeFileSync(this.path, this.lines.map(escapeLine).join("\n") + "\n");
      } else appendFileSync(this.path, escapeLine(line) + "\n");
    } catch (e) {
      this.onError(`cannot keep the input history in ${this.path}: ${(e as Error).message}`);
    }
  }
}

function read(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map(unescapeLine).slice(-HISTORY_LINES);
  } catch {
    return [];
  }
}

/** One history line per file line: backslashes and newlines escaped. */
const escapeLine = (l: string) => l.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const unescapeLine = (l: string) => l.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
