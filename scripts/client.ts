/**
 * The interactive chat client. Logs in, listens on its own topic, and takes
 * IRC-style commands (/join, /leave, /msg, /users, /channels, /history,
 * /help, /quit; plain text posts to the current channel). With stdin piped
 * it reads one command a line, waits for each reply, and at EOF waits
 * briefly for its own posts to come back, then exits 0.
 * @module
 */
import kleur from "kleur";
import { die, logMode, roleOptions } from "../shared/roles/cli.ts";
import { execute } from "../shared/client/actions.ts";
import { parseCommand } from "../shared/client/commands.ts";
import { complete } from "../shared/client/completion.ts";
import { formatDelivery, formatError, formatInfo, palette } from "../shared/client/render.ts";
import { ChatSession } from "../shared/client/session.ts";
import { Terminal } from "../shared/client/terminal.ts";
import { createLogger } from "../shared/roles/log.ts";
import { validateName } from "../shared/wire/validate.ts";

const { options } = roleOptions(
  "client",
  ["user", "brokerFrontend", "proxyXpub", "host", "timeout", "retries", "json", "quiet"],
  { usage: "[--user name]  then type /help" },
);

const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const color = Boolean(process.stdout.isTTY);
const p = palette(color);
let session: ChatSession | null = null;
const term = new Terminal({
  interactive,
  completer: (line) => complete(line, {
    users: session?.knownUsers ?? [],
    channels: session?.knownChannels ?? [],
    joined: session?.joined ?? [],
  }),
});
const print = (l: string) => term.print(l);

try {
  const input = term.lines();

  let user = options.user;
  while (user === undefined) {
    if (interactive) {
      term.setPrompt("user name: ");
      term.prompt();
    }
    const next = await input.next();
    if (next.done) die("client", new Error("no user name given"));
    const candidate = next.value.trim();
    const err = validateName("user", candidate);
    if (err) print(formatError(err, p));
    else user = candidate;
  }

  // Message log: every request/reply and delivery, one line each; dimmed on a TTY, hidden by --quiet.
  const log = createLogger({
    role: "client",
    name: user,
    mode: logMode(options),
    color: false,
    write: (l) => print(color ? kleur.dim(l) : l),
  });

  session = new ChatSession({
    user,
    endpoints: options,
    log,
    timeoutMs: options.timeout,
    retries: options.retries,
    onDelivery: (d) => print(formatDelivery(d, p, user)),
  });
  const s = session;
  const updatePrompt = () => term.setPrompt(s.current ? `${p.channel("#" + s.current)} ${user}> ` : `${user}> `);

  let quitting = false;
  const quit = async (code = 0) => {
    if (quitting) return;
    quitting = true;
    if (!interactive) await s.settle(2000);
    s.close();
    term.close();
    process.exit(code);
  };
  process.on("SIGTERM", () => void quit(0));
  term.onInterrupt(() => void quit(0));

  term.working();
  try {
    await s.login();
  } catch (e) {
    print(formatError((e as Error).message, p));
    s.close();
    process.exit(1);
  }
  print(formatInfo(`logged in as ${user}; /help lists the commands`, p));
  updatePrompt();
  term.prompt();

  for await (const line of { [Symbol.asyncIterator]: () => input }) {
    term.working();
    const parsed = parseCommand(line);
    if (!parsed.ok) print(formatError(parsed.error, p));
    else if ((await execute(parsed.command, s, print, p)) === "quit") break;
    updatePrompt();
    term.prompt();
  }
  await quit(0);
} catch (e) {
  die("client", e);
}
