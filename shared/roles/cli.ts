/**
 * A role script's command line: the options it declares from the table in
 * options.ts, parsed by cac and checked (flag > environment > default);
 * `--help` listing just those; the logger `--json` / `--quiet` ask for; a
 * clean exit on SIGTERM/SIGINT.
 *
 * Flags of other roles are accepted and ignored, so one argument list can
 * start every role; a flag the table does not know, or a stray argument,
 * is a start-up error.
 *
 * @module
 */
import cac from "cac";
import { createLogger, type LogMode, type Logger } from "./log.ts";
import {
  ConfigError,
  KNOWN_FLAGS,
  OPTIONS,
  flagNames,
  flagSyntax,
  helpText,
  resolveOptions,
  type Env,
  type OptionKey,
  type OptionValues,
} from "./options.ts";

export interface RoleConfig<K extends OptionKey> {
  /** Endpoint options this role binds (the others it connects to). */
  bind?: readonly K[];
  /** The usage line after the role's name. */
  usage?: string;
  /** Default: the process's arguments. */
  argv?: readonly string[];
  /** Default: process.env. */
  env?: Env;
}

export interface RoleOptions<K extends OptionKey> {
  options: OptionValues<K>;
  /** The options given by flag or environment variable (not defaulted). */
  given: ReadonlySet<K>;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const VALUED = new Set((Object.keys(OPTIONS) as OptionKey[]).filter((k) => OPTIONS[k].kind !== "boolean").flatMap(flagNames));

/**
 * Parses and checks a role's options. Returns null when `--help` was
 * asked for (the help is printed); throws ConfigError on a bad value, an
 * unknown flag or a stray argument.
 */
export function parseRoleOptions<K extends OptionKey>(role: string, keys: readonly K[], config: RoleConfig<K> = {}): RoleOptions<K> | null {
  const cli = cac(role);
  for (const k of keys) {
    cli.option(flagSyntax(k), helpText(k, config.bind?.includes(k)));
    // cac shows a `--no-` flag's implied default ("true"), which reads backwards.
    const added = cli.globalCommand.options.at(-1)!;
    if (added.negated) added.config.default = undefined;
  }
  cli.usage(config.usage ?? "[options]");
  cli.help((sections) => sections.map((x) => ({ ...x, body: x.body.replace(/ +$/gm, "") })));
  const { argv, text } = valuesJoined(config.argv ?? process.argv.slice(2));
  const { options: raw, args } = cli.parse(["bun", role, ...argv], { run: false });
  if (raw.help) return null;

  const given: Partial<Record<OptionKey, unknown>> = {};
  for (const k of keys) {
    const s = OPTIONS[k];
    if (s.kind === "boolean" && s.flag.startsWith("no-")) {
      if (raw[camel(s.flag.slice(3))] === false) given[k] = true;
      continue;
    }
    // The text as typed for names and endpoints (the parser reads `007` as 7).
    const typed = s.kind === "string" || s.kind === "endpoint" ? flagNames(k).map((f) => text.get(f)).find((v) => v !== undefined) : undefined;
    given[k] = typed ?? flagNames(k).map((f) => raw[camel(f)]).find((v) => v !== undefined);
  }
  const resolved = resolveOptions(keys, given, config.env ?? process.env, config.bind);

  if (args.length > 0) throw new ConfigError(`unexpected argument '${args[0]}' (see --help)`);
  const known = new Set([...KNOWN_FLAGS].flatMap((f) => [camel(f), camel(f.replace(/^no-/, ""))]));
  for (const name of Object.keys(raw)) {
    if (name === "--" || name === "help" || name === "h" || known.has(name)) continue;
    throw new ConfigError(`unknown option ${name.length === 1 ? "-" : "--"}${kebab(name)} (see --help)`);
  }
  return { options: resolved.values, given: resolved.given };
}

/**
 * {@link parseRoleOptions} for a role script: `--help` prints the help and
 * exits 0, a bad value prints what is wrong and exits 1.
 */
export function roleOptions<K extends OptionKey>(role: string, keys: readonly K[], config: RoleConfig<K> = {}): RoleOptions<K> {
  try {
    const r = parseRoleOptions(role, keys, config);
    if (r === null) process.exit(0);
    return r;
  } catch (e) {
    die(role, e);
  }
}

/**
 * Each valued flag and its value as one `--flag=value` token, so that
 * `--skew -500` is not read as short flags `-5 -0 -0`; and the last text
 * given for each valued flag.
 */
function valuesJoined(argv: readonly string[]): { argv: string[]; text: Map<string, string> } {
  const out: string[] = [];
  const text = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([^=]+)(?:=([\s\S]*))?$/.exec(a);
    if (!m || !VALUED.has(m[1]!)) {
      out.push(a);
      continue;
    }
    const next = argv[i + 1];
    let value = m[2];
    if (value === undefined && next !== undefined && (!next.startsWith("-") || /^-\.?\d/.test(next))) {
      value = next;
      i++;
    }
    if (value === undefined) out.push(a);
    else {
      text.set(m[1]!, value);
      out.push(`--${m[1]}=${value}`);
    }
  }
  return { argv: out, text };
}

/** The log mode `--json` / `--quiet` ask for. */
export function logMode(o: { json: boolean; quiet: boolean }): LogMode {
  return o.quiet ? "quiet" : o.json ? "json" : "text";
}

/** The logger the flags ask for. */
export function loggerFor(role: string, name: string | undefined, o: { json: boolean; quiet: boolean }): Logger {
  return createLogger({ role, name, mode: logMode(o) });
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits 0. */
export function exitOnSignals(stop: () => void | Promise<void>): void {
  let stopping = false;
  const handler = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}

/** Prints a start-up error and exits 1. */
export function die(role: string, e: unknown): never {
  console.error(`${role}: ${(e as Error)?.message ?? e}`);
  process.exit(1);
}
