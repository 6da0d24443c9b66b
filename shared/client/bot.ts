/**
 * The bot's behaviour, with no person involved: forever list the channels,
 * pick one at random (create `geral` if there is none), post a burst of
 * messages there at a readable pace, and now and then send a private
 * message to a random user. A request that fails (no server, refused) is
 * logged and the bot carries on after a pause.
 *
 * @module
 */
import { pick, sentence } from "./sentences.ts";
import { ClientError, type ChatSession } from "./session.ts";

export interface BotOptions {
  /** Messages per second (default 2). */
  rate?: number;
  /** Chance per cycle of also sending one private message (default 0.1). */
  pmChance?: number;
  /** Messages per cycle in one channel (default 10). */
  burst?: number;
  /** Stop after this many channel posts (default: never). */
  count?: number;
  /** Channel created when there is none (default `geral`). */
  defaultChannel?: string;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Reports a failed step. */
  onError?: (e: Error) => void;
}

/** Stops a running bot. */
export interface BotControl {
  stopped: boolean;
}

/** Runs the bot loop until `ctl.stopped` or `count` posts; resolves with the posts made. */
export async function runBot(s: ChatSession, opts: BotOptions = {}, ctl: BotControl = { stopped: false }): Promise<number> {
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number) => Bun.sleep(ms));
  const gap = 1000 / (opts.rate ?? 2);
  const burst = opts.burst ?? 10;
  const pmChance = opts.pmChance ?? 0.1;
  const limit = opts.count ?? Infinity;
  const fallback = opts.defaultChannel ?? "geral";
  const report = opts.onError ?? (() => {});
  let posted = 0;

  const step = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      report(e);
      if (!ctl.stopped) await sleep(Math.max(gap, 500));
      return undefined;
    }
  };

  while (!ctl.stopped && posted < limit) {
    const channels = await step(() => s.channels());
    if (channels === undefined) continue;
    const target = channels.length ? pick(channels, random) : fallback;
    // Listen to the channel it talks in (and only that one).
    for (const old of [...s.joined]) if (old !== target) s.leave(old);
    if (channels.includes(target)) s.listen(target);
    else if ((await step(() => s.join(target))) === undefined) continue;

    for (let i = 0; i < burst && posted < limit && !ctl.stopped; i++) {
      if ((await step(() => s.publish(target, sentence(random)))) !== undefined) posted++;
      if (posted < limit && !ctl.stopped) await sleep(gap);
    }

    if (!ctl.stopped && posted < limit && random() < pmChance) {
      const users = (await step(() => s.users()))?.filter((u) => u !== s.user) ?? [];
      if (users.length) await step(() => s.message(pick(users, random), sentence(random)));
    }
  }
  return posted;
}
