/**
 * Publications the server subscribes to (`servers`, `replication`): each
 * message is `[topic, payload]`; the topic is compared exactly, since SUB
 * filters only by prefix.
 *
 * @module
 */
import { decode } from "../../wire/codec.ts";
import type { Envelope } from "../../wire/protocol.ts";
import type { TopicPort } from "../ports.ts";
import { traced } from "../../debug/stall-trace.ts";

/** Dispatches subscribed publications until the node's SUB socket closes. */
export async function listenTopics(node: TopicPort): Promise<void> {
  for await (const frames of node.sub) {
    if (frames.length !== 2) continue;
    const topic = frames[0]!.toString("utf8");
    const handler = node.topicHandler(topic);
    if (!handler) continue;
    let payload: Envelope;
    try {
      payload = decode(frames[1]!) as Envelope;
      if (!payload || typeof payload !== "object" || typeof payload.service !== "string") continue;
    } catch {
      node.log.error(`undecodable publication on '${topic}' ignored`);
      continue;
    }
    node.clock.merge(payload.data?.clock);
    node.log.recv(`sub:${topic}`, payload, node.clock.value);
    try {
      traced(`topic:${topic}`, () => handler(payload, topic));
    } catch (e) {
      node.log.error(`handling '${topic}': ${(e as Error).message}`);
    }
  }
}
