/**
 * The server's side of the broker: requests arrive on a DEALER as
 * `[...envelope, "", body]` and are answered with the same envelope.
 * Requests are handled as they come, without waiting for earlier ones to be
 * replicated, so one slow acknowledgement does not hold up the rest.
 *
 * @module
 */
import { decode, encode } from "../codec.ts";
import { errorReply, type Envelope } from "../protocol.ts";
import type { ServerNode } from "./node.ts";

/** Serves client requests until the node's backend socket closes. */
export async function serveClients(node: ServerNode): Promise<void> {
  for await (const frames of node.backend) void answer(node, frames);
}

async function answer(node: ServerNode, frames: Buffer[]): Promise<void> {
  const split = frames.findIndex((f) => f.length === 0);
  if (split < 0) return; // no envelope: nothing to route a reply to
  const envelope = frames.slice(0, split + 1);
  const body = frames.slice(split + 1);
  let reply: Envelope;
  try {
    reply = await handle(node, body);
  } catch (e) {
    reply = errorReply("error", `internal error: ${(e as Error).message}`, node.clock.tick(), () => node.wall.now());
  }
  node.log.send("broker", reply, node.clock.value);
  await node.backend.send([...envelope, encode(reply)]).catch(() => {});
  for (const h of node.handledHooks) h();
}

async function handle(node: ServerNode, body: Buffer[]): Promise<Envelope> {
  const now = () => node.wall.now();
  if (body.length !== 1) {
    return errorReply("error", `a request is exactly one frame, got ${body.length}`, node.clock.tick(), now);
  }
  let raw: unknown;
  try {
    raw = decode(body[0]!);
  } catch (e) {
    return errorReply("error", `not a MessagePack map: ${(e as Error).message}`, node.clock.tick(), now);
  }
  node.clock.merge((raw as { data?: { clock?: unknown } } | null)?.data?.clock);
  node.log.recv("broker", raw, node.clock.value);
  const res = node.chat.handle(raw);
  // Deliver at once (the message is durable here); acknowledge once the
  // replication policy is satisfied.
  for (const d of res.deliveries) {
    node.log.send(`pub:${d.topic}`, d.payload, node.clock.value);
    node.sendPub(d.topic, d.payload);
  }
  if (res.records.length > 0) await node.commitHook(res.records);
  return res.reply;
}
