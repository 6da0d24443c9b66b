/**
 * What the proxy lets each subscriber see. A subscription (even to `""`)
 * says what a subscriber wants; the gate says what it may have:
 *
 * - `$private/<user>`: a registered user's private message. The servers
 *   publish it there instead of on `<user>`; the proxy hands it on as
 *   `<user>`, to subscribers that authenticated as that user only (PLAIN,
 *   or CURVE with the user's session in its metadata: cluster-trust.ts).
 * - `servers`, `replication` and every other `$` topic but `$presence`:
 *   the servers' own traffic, to cluster members only (everyone in open mode).
 * - Anything else (channels, unregistered users' names, `$presence`): to
 *   every subscriber, as the contract has it. An unregistered name is
 *   anyone's to read: owning a name is what makes its messages private.
 *
 * @module
 */
import { PRIVATE_TOPIC_PREFIX, RESERVED_PREFIX, TOPIC_REPLICATION, TOPIC_SERVERS } from "../wire/protocol.ts";
import { TOPIC_PRESENCE } from "../wire/presence.ts";
import type { PeerInfo, XPublisher, ZSocket } from "../zmq/index.ts";

export type Audience = { kind: "everyone" } | { kind: "members" } | { kind: "user"; user: string };

const EVERYONE: Audience = { kind: "everyone" };
const MEMBERS: Audience = { kind: "members" };
const PRIVATE = Buffer.from(PRIVATE_TOPIC_PREFIX);
const DOLLAR = RESERVED_PREFIX.charCodeAt(0);
const PRESENCE = Buffer.from(TOPIC_PRESENCE);
const CLUSTER_TOPICS = [Buffer.from(TOPIC_SERVERS), Buffer.from(TOPIC_REPLICATION)];

/** Who may receive a publication on `topic`. */
export function audienceOf(topic: Buffer): Audience {
  if (topic.length > PRIVATE.length && topic.subarray(0, PRIVATE.length).equals(PRIVATE)) {
    return { kind: "user", user: topic.subarray(PRIVATE.length).toString("utf8") };
  }
  if (topic[0] === DOLLAR) return topic.equals(PRESENCE) ? EVERYONE : MEMBERS;
  for (const t of CLUSTER_TOPICS) if (topic.equals(t)) return MEMBERS;
  return EVERYONE;
}

/** The proxy's publisher-to-subscriber step: each publication to its audience only. */
export function gatedForward(isMember: (peer: PeerInfo) => boolean) {
  return (to: ZSocket, frames: Buffer[]): void => {
    const subs = to as XPublisher;
    const a = frames.length > 0 ? audienceOf(frames[0]!) : EVERYONE;
    if (a.kind === "everyone") subs.trySend(frames);
    else if (a.kind === "members") subs.trySend(frames, isMember);
    else {
      const user = a.user;
      subs.trySend([Buffer.from(user), ...frames.slice(1)], (p) => p.mechanism !== "NULL" && p.userId === user);
    }
  };
}
