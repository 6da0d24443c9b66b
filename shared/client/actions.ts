/**
 * What each command does in line mode (stdin piped: a script, one
 * command a line): calls the session and prints the outcome. Every
 * failure (refused request, no server, bad state) becomes one `error: …`
 * line and the client carries on. Windows are the terminal's: here the
 * last joined channel is where text goes.
 *
 * @module
 */
import { helpText, type Command, type HistoryTarget } from "./commands.ts";
import { ClientError } from "./client-error.ts";
import type { Delivery } from "./delivery.ts";
import type { PresenceAgent } from "./presence.ts";
import { formatDelivery, formatError, formatInfo, formatList, type Palette } from "./render.ts";
import type { ChatSession } from "./session.ts";

/** Where the client's lines go. */
export type Print = (line: string) => void;

/** Runs one command; resolves "quit" when the user asked to leave. Never rejects. */
export async function execute(cmd: Command, s: ChatSession, print: Print, p: Palette, presence?: PresenceAgent): Promise<"quit" | void> {
  try {
    return await run(cmd, s, print, p, presence);
  } catch (e) {
    print(formatError(e instanceof ClientError ? e.message : `unexpected: ${(e as Error)?.message ?? e}`, p));
  }
}

async function run(cmd: Command, s: ChatSession, print: Print, p: Palette, presence?: PresenceAgent): Promise<"quit" | void> {
  switch (cmd.kind) {
    case "empty":
    case "clear":
      return;
    case "quit":
      return "quit";
    case "help":
      for (const l of helpText(cmd.topic).split("\n")) print(l);
      return;
    case "say":
    case "me":
      // The post shows when it comes back from the proxy, like everyone else's.
      await s.say(cmd.kind === "me" ? `/me ${cmd.text}` : cmd.text);
      return;
    case "join": {
      const created = await s.join(cmd.channel);
      print(formatInfo(`joined #${cmd.channel}${created ? " (new channel)" : ""}`, p));
      return;
    }
    case "leave": {
      const left = s.leave(cmd.channel);
      const now = s.current;
      print(formatInfo(`left #${left}${now ? `; now in #${now}` : ""}`, p));
      return;
    }
    case "msg":
    case "query": {
      if (cmd.kind === "query" && !cmd.text) throw new ClientError("state", "conversation windows need a terminal; use /msg user text");
      const text = cmd.text!;
      const id = await s.message(cmd.user, text);
      // Private messages go to the destination's topic only: echo our own (unless it is to ourselves).
      if (cmd.user !== s.user) {
        const echo: Delivery = { kind: "private", src: s.user, dst: cmd.user, text, timestamp: Date.now(), clock: s.clock.value, id };
        print(formatDelivery(echo, p, s.user));
      }
      return;
    }
    case "names":
    case "who": {
      if (!presence) throw new ClientError("unsupported", "presence is off");
      const channel = cmd.kind === "names" ? cmd.channel ?? s.current : undefined;
      if (cmd.kind === "names" && channel === undefined) throw new ClientError("state", "not in a channel; use /names #channel or /who");
      const { users } = await presence.names(channel);
      print(formatList(channel === undefined ? "online" : `in #${channel}`, users, p));
      return;
    }
    case "window":
      throw new ClientError("state", "windows need a terminal (stdin is not one)");
    case "users":
      print(formatList("users", await s.users(), p));
      return;
    case "channels":
      print(formatList("channels", await s.channels(), p));
      return;
    case "history": {
      const target = resolveTarget(cmd.target, s);
      const messages = await s.history(target, cmd.limit);
      const label = "channel" in target ? `#${target.channel}` : `conversation with ${target.user}`;
      print(formatInfo(`history of ${label}: ${messages.length} message${messages.length === 1 ? "" : "s"}`, p));
      for (const m of messages) print(formatDelivery(m, p, s.user, true));
      print(formatInfo(`end of history of ${label}`, p));
      return;
    }
  }
}

/**
 * No target: the current channel. A bare name is a user, unless only a
 * channel is known by that name.
 */
export function resolveTarget(target: HistoryTarget | undefined, s: ChatSession): HistoryTarget {
  if (!target) {
    if (s.current === undefined) throw new ClientError("state", "not in a channel; use /history #channel or /history user");
    return { channel: s.current };
  }
  if ("user" in target && !s.knownUsers.has(target.user) && (s.knownChannels.has(target.user) || s.joined.includes(target.user))) {
    return { channel: target.user };
  }
  return target;
}
