/**
 * The server's side of the broker: requests arrive on a DEALER as
 * `[...envelope, "", body]` and are answered with the same envelope.
 * Requests are handled as they come, without waiting for earlier ones to be
 * replicated, so one slow acknowledgement does not hold up the rest; at
 * most {@link MAX_IN_FLIGHT} are open at once, after which reading pauses
 * (the socket's high-water mark then pushes back on the broker).
 *
 * A DEALER client may leave out the empty delimiter: the message is then
 * `[routing id, body]` (the broker's ROUTER adds the id) and the reply goes
 * back the same way, without a delimiter.
 *
 * @module
 */
import { decode, encode } from "../codec.ts";
import { errorReply, type Envelope } from "../protocol.ts";
import type { ChatRecord } from "../store.ts";
import type { ServerNode } from "./node.ts";

/** Most client requests being answered at once. */
export const MAX_IN_FLIGHT = 1000;

/** Serves client requests until the node's backend socket closes. */
export async function serveClients(node: ServerNode): Promise<void> {
  let inFlight = 0;
  let slotFreed: (() => void) | null = null;
  for await (const frames of node.backend) {
    inFlight++;
    void answer(node, frames).finally(() => {
      inFlight--;
      slotFreed?.();
      slotFreed = null;
    });
    if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => (slotFreed = r));
  }
}

/** Splits `[...envelope, "", body]` (or `[id, body]` from a DEALER without delimiter). */
export function splitEnvelope(frames: Buffer[]): { envelope: Buffer[]; body: Buffer[] } | null {
  if (frames.length < 2) return null; // no routing id: nothing to route a reply to
  const split = frames.findIndex((f, i) => i > 0 && f.length === 0);
  const envelope = split < 0 ? frames.slice(0, 1) : frames.slice(0, split + 1);
  return { envelope, body: frames.slice(envelope.length) };
}

async function answer(node: ServerNode, frames: Buffer[]): Promise<void> {
  const parts = splitEnvelope(frames);
  if (!parts) return;
  const { envelope, body } = parts;
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
  const written = res.records.length > 0 ? res.records : repeated(node, res.service, res.reply);
  if (written.length > 0) {
    try {
      await node.commitHook(written);
    } catch (e) {
      // Stored here but not confirmed by enough replicas: tell the client to
      // retry (the same id is deduplicated) rather than acknowledge it.
      return errorReply(res.service, (e as Error).message, node.clock.tick(), now);
    }
  }
  return res.reply;
}

/**
 * A publish/message answered OK without storing anything repeats an id
 * already held: its acknowledgement waits on the held record's replication
 * just as the first attempt's did.
 */
function repeated(node: ServerNode, service: string, reply: Envelope): ChatRecord[] {
  if ((service !== "publish" && service !== "message") || reply.data.status !== "OK") return [];
  const id = reply.data.id;
  const held = typeof id === "string" ? node.store.get(id) : undefined;
  return held ? [held] : [];
}
