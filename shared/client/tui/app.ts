/**
 * The terminal client, put together: the config and input history files,
 * the screen, the user name (flag, config, or asked for on the input
 * line), "connecting to …" at once and a login retried until a server
 * answers (a registered name's password asked for, not echoed, when the
 * server says it needs one), the protocol log in window 1 (and inline too with
 * `--verbose`), presence, autojoin, and a clean exit (announced offline,
 * terminal restored) on /quit, Ctrl-C twice, SIGTERM or SIGHUP.
 *
 * @module
 */
import type { ClientOptions } from "../client-options.ts";
import { complete, completionSuffix, type CompletionSources } from "../completion.ts";
import { ClientError } from "../client-error.ts";
import { configPath, historyPath, InputHistory, loadConfig } from "../config.ts";
import { parseCommand } from "../commands.ts";
import { PresenceAgent } from "../presence.ts";
import { ChatSession, needsPassword } from "../session.ts";
import { createLogger } from "../../roles/log.ts";
import { validateName } from "../../wire/validate.ts";
import { TuiChat } from "./chat.ts";
import { logLine, tuiPalette } from "./format.ts";
import { Link } from "./link.ts";
import { CommandRunner } from "./run.ts";
import type { ScreenIO } from "./screen.ts";
import { Ui } from "./ui.ts";

export interface TuiOptions extends ClientOptions {
  /** The protocol log inline too, not only in window 1. */
  verbose: boolean;
  noColor: boolean;
  env?: Record<string, string | undefined>;
  io?: ScreenIO;
}

/** Commands that work before logging in. */
const OFFLINE = new Set(["empty", "window", "help", "clear", "quit"]);

/** Runs the client until the user leaves; then exits the process. */
export async function runTui(o: TuiOptions): Promise<never> {
  const env = o.env ?? process.env;
  const { config, warnings } = loadConfig(configPath(env));
  const color = !o.noColor && config.colors && !env.NO_COLOR;
  let sources: (() => CompletionSources) | null = null;
  const history = new InputHistory(historyPath(env), (why) => ui.notice(why, "error", ui.windows.status));
  const ui: Ui = new Ui({
    io: o.io ?? { input: process.stdin, output: process.stdout },
    palette: tuiPalette(color),
    history,
    completer: (before) => complete(before, sources?.() ?? { users: [], channels: [], joined: [] }),
    suffix: completionSuffix,
    bell: config.bell,
  });
  const status = ui.windows.status;
  ui.start();
  ui.notice("bbs-chat: /help lists the commands and keys; window 1 (this one) shows notices and the protocol log");
  for (const w of warnings) ui.notice(w, "error");
  const how = o.security?.curveServerKey ? ` over CURVE (encrypted; cluster key ${String(o.security.curveServerKey).slice(0, 8)}…)` : "";
  ui.notice(`connecting to the broker at ${o.endpoints.brokerFrontend} and the proxy at ${o.endpoints.proxyXpub}${how}…`);

  // Until logged in there is nothing to announce or close.
  let leave = async (): Promise<void> => {};
  let quitting = false;
  const quit = async () => {
    if (quitting) return;
    quitting = true;
    ui.notice("quitting…");
    ui.render();
    await leave();
    ui.stop();
    process.exit(0);
  };
  ui.onQuit = () => void quit();
  for (const sig of ["SIGTERM", "SIGHUP", "SIGINT"] as const) process.on(sig, () => void quit());
  // A bug must not leave the terminal in raw mode on the alternate screen, with its message lost there.
  process.on("uncaughtException", (e) => {
    ui.stop();
    console.error(`client: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  });

  const user = o.user ?? config.nick ?? (await askName(ui));
  ui.nick = user;

  const log = createLogger({
    role: "client",
    name: user,
    mode: o.logMode,
    color: false,
    write: (l) => {
      ui.print(status, logLine(ui.p, l));
      if (o.verbose && ui.windows.active !== status) ui.print(ui.windows.active, logLine(ui.p, l));
    },
  });
  const link: Link = new Link({
    probe: () => session.background("channels", {}, 1500),
    proxyConnected: () => session.proxyConnected,
    proxy: o.endpoints.proxyXpub,
    onChange: (state, why) => chat.linkChanged(state, why),
  });
  const session: ChatSession = new ChatSession({
    user,
    password: o.password ?? (user === config.nick ? config.password : undefined),
    endpoints: o.endpoints,
    security: o.security,
    log,
    timeoutMs: o.timeoutMs,
    retries: o.retries,
    onDelivery: (d) => chat.deliver(d),
    onReach: (ok, why) => link.reached(ok, why),
  });
  const presence = new PresenceAgent(session);
  const chat: TuiChat = new TuiChat(ui, session, presence, o.endpoints);
  sources = () => chat.sources();
  leave = async () => {
    link.stop();
    await presence.stop();
    session.close();
  };
  const runner = new CommandRunner(chat, () => void quit());
  let loggedIn = false;
  ui.onLine = (line, w) => {
    const parsed = parseCommand(line);
    const local = parsed.ok && (OFFLINE.has(parsed.command.kind) || (parsed.command.kind === "query" && !parsed.command.text));
    if (!loggedIn && parsed.ok && !local) return ui.notice("not logged in yet: wait for a server to answer (or /quit)", "error", w);
    runner.line(line, w);
  };

  await login(ui, session, o.endpoints.brokerFrontend);
  loggedIn = true;
  ui.notice(`logged in as ${user}`, "good");
  link.loggedIn();
  link.start();
  presence.watch((c) => chat.presenceChanged(c));
  presence.start();
  void presence.snapshot().then(() => ui.schedule());
  // Names and channels for Tab before anyone asks; the channels also before autojoin, which then creates none that exist.
  void session.users().catch(() => {});
  await session.channels().catch(() => {});
  for (const [i, channel] of config.autojoin.entries()) {
    try {
      await chat.join(channel, i > 0);
    } catch (e) {
      ui.notice(`autojoin #${channel}: ${(e as Error).message}`, "error");
    }
  }
  return new Promise<never>(() => {});
}

/** Asks for a name's password on the input line, shown as `*`, kept out of the input history. */
function askPassword(ui: Ui, user: string): Promise<string> {
  ui.ask = `password for ${user}: `;
  ui.secret = true;
  ui.schedule();
  const before = ui.onLine;
  return new Promise((resolve) => {
    ui.onLine = (line) => {
      if (line === "") return ui.notice("the password must not be empty", "error");
      ui.ask = null;
      ui.secret = false;
      ui.onLine = before;
      ui.schedule();
      resolve(line);
    };
  });
}

/** Asks for the user name on the input line until a valid one is given. */
function askName(ui: Ui): Promise<string> {
  ui.ask = "user name: ";
  ui.schedule();
  return new Promise((resolve) => {
    ui.onLine = (line) => {
      const name = line.trim();
      const err = validateName("user", name);
      if (err) return ui.notice(err, "error");
      ui.ask = null;
      resolve(name);
    };
  });
}

/**
 * Logs in, trying again every few seconds while no server answers; a
 * refused login says why, and asks for the password when that is why.
 */
async function login(ui: Ui, s: ChatSession, broker: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await s.login();
      return;
    } catch (e) {
      const unreachable = e instanceof ClientError && e.code === "unreachable";
      if (!unreachable) ui.notice(`login refused: ${(e as Error).message}`, "error");
      if (needsPassword(e)) {
        s.setPassword(await askPassword(ui, s.user));
        continue;
      }
      else if (attempt === 1) ui.notice(`no server answers through the broker at ${broker} (is the cluster running? npm start); trying again every 3 s`, "error");
      ui.schedule();
      await Bun.sleep(3000);
    }
  }
}
