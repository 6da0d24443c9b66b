/**
 * What every role script shares on its command line: endpoint flags, the
 * log-mode flags, and a clean exit on SIGTERM/SIGINT.
 *
 * @module
 */
import { registerEndpointOptions } from "./endpoints.ts";
import { createLogger, type Logger } from "./log.ts";

type Cli = { option(raw: string, desc: string, config?: { default?: unknown }): Cli };

/** Adds the endpoint flags plus `--json` and `--quiet`. */
export function commonOptions<T extends Cli>(cli: T): T {
  registerEndpointOptions<Cli>(cli);
  cli.option("--json", "log one JSON object per line");
  cli.option("--quiet", "log nothing");
  return cli;
}

/** The logger the flags ask for. */
export function loggerFor(role: string, name: string | undefined, opts: Record<string, unknown>): Logger {
  const mode = opts.quiet ? "quiet" : opts.json ? "json" : "text";
  return createLogger({ role, name, mode });
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

/** A flag's value; when the flag was given more than once, the last one wins. */
export function lastValue(v: unknown): unknown {
  return Array.isArray(v) ? v.at(-1) : v;
}
