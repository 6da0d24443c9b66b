/**
 * The client with stdin piped (a script, or another program): reads one
 * command a line, runs each to the end before the next, prints plain
 * lines (the protocol log among them unless `--quiet`), and at EOF waits
 * briefly for its own posts to come back, then exits 0. No windows, no
 * config file, no input history: the same script gives the same run.
 *
 * @module
 */
import type { ClientOptions } from "./client-options.ts";
import { createInterface } from "node:readline";
import { execute } from "./actions.ts";
import { parseCommand } from "./commands.ts";
import { PresenceAgent } from "./presence.ts";
import { formatDelivery, formatError, formatInfo, palette } from "./render.ts";
import { ChatSession } from "./session.ts";
import { createLogger } from "../roles/log.ts";
import { validateName } from "../wire/validate.ts";

export type LineModeOptions = ClientOptions;

/** Runs the script on stdin; exits the process at its end (1 if no user name or no login). */
export async function runLineMode(o: LineModeOptions): Promise<never> {
  const p = palette(false);
  const print = (l: string) => void process.stdout.write(l + "\n");
  const input = createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();

  let user = o.user;
  while (user === undefined) {
    const next = await input.next();
    if (next.done) {
      console.error("client: no user name given");
      process.exit(1);
    }
    const candidate = next.value.trim();
    const err = validateName("user", candidate);
    if (err) print(formatError(err, p));
    else user = candidate;
  }
  const me = user;
  const log = createLogger({ role: "client", name: me, mode: o.logMode, color: false, write: print });
  const s = new ChatSession({
    user: me,
    password: o.password,
    endpoints: o.endpoints,
    security: o.security,
    log,
    timeoutMs: o.timeoutMs,
    retries: o.retries,
    onDelivery: (d) => print(formatDelivery(d, p, me)),
  });
  const presence = new PresenceAgent(s);
  let quitting = false;
  const quit = async (code = 0) => {
    if (quitting) return;
    quitting = true;
    await s.settle(2000);
    await presence.stop();
    s.close();
    process.exit(code);
  };
  process.on("SIGTERM", () => void quit(0));
  process.on("SIGINT", () => void quit(0));

  try {
    await s.login();
  } catch (e) {
    print(formatError((e as Error).message, p));
    s.close();
    process.exit(1);
  }
  print(formatInfo(`logged in as ${me}; /help lists the commands`, p));
  presence.start();

  for await (const line of { [Symbol.asyncIterator]: () => input }) {
    const parsed = parseCommand(line);
    if (!parsed.ok) print(formatError(parsed.error, p));
    else if ((await execute(parsed.command, s, print, p, presence)) === "quit") break;
  }
  await quit(0);
  throw new Error("unreachable");
}
