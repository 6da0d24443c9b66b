/**
 * Small built-in vocabulary for the bot's chatter: short sentences of
 * random words, so a person can read along.
 *
 * @module
 */

const SUBJECTS = ["the broker", "a server", "the proxy", "my clock", "the coordinator", "this channel", "a bot", "the replica", "everyone", "nobody"];
const VERBS = ["sends", "loves", "forgets", "elects", "stores", "repeats", "publishes", "answers", "counts", "waits for"];
const OBJECTS = ["the messages", "a new leader", "every timestamp", "the history", "some coffee", "a heartbeat", "the next tick", "ten lines", "the old logs", "a quiet night"];
const ENDINGS = [".", "!", "?", " again.", " today.", " for real.", ", as usual.", " (probably)."];

/** Picks one element; `random` returns [0, 1). */
export function pick<T>(xs: readonly T[], random: () => number = Math.random): T {
  return xs[Math.min(xs.length - 1, Math.floor(random() * xs.length))]!;
}

/** One sentence such as "the broker elects a new leader again." */
export function sentence(random: () => number = Math.random): string {
  return `${pick(SUBJECTS, random)} ${pick(VERBS, random)} ${pick(OBJECTS, random)}${pick(ENDINGS, random)}`;
}
