/**
 * A chat bot: a user with no person behind it. Picks a random name
 * (`bot-xxxx`, or `--user`), logs in, listens on its own topic, then posts
 * bursts of sentences to random channels and now and then a private
 * message, logging every message it sends or receives. Announces its
 * presence while it runs (offline when it stops). Exits 0 on SIGTERM.
 * @module
 */
import { randomBytes } from "node:crypto";
import { die, exitOnSignals, loggerFor, roleOptions } from "../shared/roles/cli.ts";
import { runBot, type BotControl } from "../shared/client/bot.ts";
import { ChatSession } from "../shared/client/session.ts";
import { PresenceAgent } from "../shared/client/presence.ts";
import { secureOptions } from "../shared/client/secure.ts";

const { options: o } = roleOptions("bot", [
  "user", "password", "channel", "rate", "pmChance", "count", "brokerFrontend", "proxyXpub", "host", "secure", "serverKey", "dataDir", "timeout", "retries", "json", "quiet",
]);

try {
  const user = o.user ?? `bot-${randomBytes(2).toString("hex")}`;
  const log = loggerFor("bot", user, o);
  const session = new ChatSession({ user, password: o.password, endpoints: o, security: secureOptions(o), log, timeoutMs: o.timeout, retries: o.retries });
  const ctl: BotControl = { stopped: false };
  // Online while it runs, so clients' /names and /who show it; offline when it stops.
  const presence = new PresenceAgent(session);
  exitOnSignals(async () => {
    ctl.stopped = true;
    await presence.stop();
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
  presence.start();
  const posted = await runBot(session, {
    rate: o.rate,
    pmChance: o.pmChance,
    count: o.count,
    defaultChannel: o.channel,
    onError: (e) => log.error(e.message, session.clock.value),
  }, ctl);
  if (!ctl.stopped) {
    await session.settle(2000);
    await presence.stop();
    log.info(`done: ${posted} posts`, session.clock.value);
    session.close();
    process.exit(0);
  }
} catch (e) {
  die("bot", e);
}
