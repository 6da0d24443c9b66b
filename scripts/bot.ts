/**
 * A chat bot: a user with no person behind it. Picks a random name
 * (`bot-xxxx`, or `--user`), logs in, listens on its own topic, then posts
 * bursts of sentences to random channels and now and then a private
 * message, logging every message it sends or receives. Exits 0 on SIGTERM.
 * @module
 */
import { randomBytes } from "node:crypto";
import cac from "cac";
import { commonOptions, die, exitOnSignals, loggerFor } from "../shared/roles/cli.ts";
import { runBot, type BotControl } from "../shared/client/bot.ts";
import { intFlag, numberFlag } from "../shared/roles/flags.ts";
import { ChatSession } from "../shared/client/session.ts";
import { resolveEndpoints } from "../shared/roles/endpoints.ts";
import { validateName } from "../shared/wire/validate.ts";

const cli = commonOptions(cac("bot"));
cli.option("--user <name>", "user name (default bot-<4 random hex digits>)");
cli.option("--rate <msgs/s>", "messages per second (default 2)");
cli.option("--pm-chance <p>", "chance per burst of also sending a private message (default 0.1)");
cli.option("--count <n>", "stop after this many channel posts (default: never)");
cli.option("--channel <name>", "channel to create when there is none (default geral)");
cli.option("--timeout <ms>", "ms to wait for a reply before retrying (default 2000)");
cli.option("--retries <n>", "extra attempts for a request before giving up (default 2)");
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

try {
  const endpoints = resolveEndpoints(options, "connect");
  const user = String(options.user ?? `bot-${randomBytes(2).toString("hex")}`);
  const nameErr = validateName("user", user);
  if (nameErr) throw new Error(nameErr);
  const channel = String(options.channel ?? "geral");
  const channelErr = validateName("channel", channel);
  if (channelErr) throw new Error(channelErr);
  const rate = numberFlag("rate", options.rate, 2, 0.01, 10_000);
  const pmChance = numberFlag("pm-chance", options.pmChance, 0.1, 0, 1);
  const count = options.count === undefined ? undefined : intFlag("count", options.count, 0, 0);
  const timeoutMs = intFlag("timeout", options.timeout, 2000, 1, 600_000);
  const retries = intFlag("retries", options.retries, 2, 0, 100);

  const log = loggerFor("bot", user, options);
  const session = new ChatSession({ user, endpoints, log, timeoutMs, retries });
  const ctl: BotControl = { stopped: false };
  exitOnSignals(() => {
    ctl.stopped = true;
    session.close();
    log.info("stopped", session.clock.value);
  });

  // Log in, retrying until a server answers: the bot may start before the servers.
  for (;;) {
    try {
      await session.login();
      break;
    } catch (e) {
      log.error(`login failed: ${(e as Error).message}`, session.clock.value);
      if (ctl.stopped) break;
      await Bun.sleep(1000);
    }
  }
  log.info(`logged in as ${user}`, session.clock.value);
  const posted = await runBot(session, {
    rate,
    pmChance,
    count,
    defaultChannel: channel,
    onError: (e) => log.error(e.message, session.clock.value),
  }, ctl);
  if (!ctl.stopped) {
    await session.settle(2000);
    log.info(`done: ${posted} posts`, session.clock.value);
    session.close();
    process.exit(0);
  }
} catch (e) {
  die("bot", e);
}
