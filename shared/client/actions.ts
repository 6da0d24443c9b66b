/**
 * What each command of the interactive client does: calls the session and
 * prints the outcome. Every failure (refused request, no server, bad state)
 * becomes one `error: …` line and the client carries on.
 *
 * @module
 */
import { helpText, type Command, type HistoryTarget } from "./commands.ts";
import type { Delivery } from "./delivery.ts";
import { formatDelivery, formatError, formatInfo, formatList, type Palette } from "./render.ts";
import { ClientError, type ChatSession } from "./session.ts";

/** Where the client's lines go. */
export type Print = (line: string) => void;

/** Runs one command; resolves "quit" when the user asked to leave. Never rejects. */
export async function execute(cmd: Command, s: ChatSession, print: Print, p: Palette): Promise<"quit" | void> {
  try {
    return await run(cmd, s, print, p);
  } catch (e) {
    print(formatError(e instanceof ClientError ? e.message : `unexpected: ${(e as Error)?.message ?? e}`, p));
  }
}

async function run(cmd: Command, s: ChatSession, print: Print, p: Palette): Promise<"quit" | void> {
  switch (cmd.kind) {
    case "empty":
      return;
    case "quit":
      return "quit";
    case "help":
      for (const l of helpText(cmd.topic).split("\n")) print(l);
      return;
    case "say":
      // The post shows when it comes back from the proxy, like everyone else's.
      await s.say(cmd.text);
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
    case "msg": {
      const id = await s.message(cmd.user, cmd.text);
      // Private messages go to the destination's topic only: echo our own (unless it is to ourselves).
      if (cmd.user !== s.user) {
        const echo: Delivery = { kind: "private", src: s.user, dst: cmd.user, text: cmd.text, timestamp: Date.now(), clock: s.clock.value, id };
        print(formatDelivery(echo, p, s.user));
      }
      return;
    }
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
      for (const m of messages) print(formatDelivery(m, p, s.user));
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
