/**
 * The chat client. In a terminal: full screen, irssi-style, one window
 * per channel and private conversation, the protocol log in window 1
 * (shared/client/tui/). With stdin piped: one command a line, plain
 * output, exit at the end (shared/client/line-mode.ts).
 * @module
 */
import { die, logMode, roleOptions } from "../shared/roles/cli.ts";
import { runLineMode } from "../shared/client/line-mode.ts";
import { runTui } from "../shared/client/tui/app.ts";
import { secureOptions } from "../shared/client/secure.ts";

const { options: o } = roleOptions(
  "client",
  ["user", "password", "brokerFrontend", "proxyXpub", "host", "secure", "serverKey", "dataDir", "timeout", "retries", "verbose", "noColor", "json", "quiet"],
  { usage: "[--user name]  then type /help" },
);

const common = {
  user: o.user,
  password: o.password,
  endpoints: { brokerFrontend: o.brokerFrontend, proxyXpub: o.proxyXpub },
  security: secureOptions(o),
  timeoutMs: o.timeout,
  retries: o.retries,
  logMode: logMode(o),
};

try {
  if (process.stdin.isTTY && process.stdout.isTTY) await runTui({ ...common, verbose: o.verbose, noColor: o.noColor });
  else await runLineMode(common);
} catch (e) {
  die("client", e);
}
