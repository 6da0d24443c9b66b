/**
 * The server's own peer endpoint: a ROUTER that answers server-to-server
 * services. A REQ peer's message is `[id, "", body]`, a DEALER's may be
 * `[id, body]`; the reply goes back with the same envelope either way.
 *
 * @module
 */
import { decode, encode } from "../../wire/codec.ts";
import { errorReply, makeReply, type Envelope } from "../../wire/protocol.ts";
import { MAX_CLOCK, readClock } from "../../wire/tolerant.ts";
import type { ServerNode } from "../node.ts";

/** Serves peer requests until the node's peer socket closes. */
export async function servePeers(node: ServerNode): Promise<void> {
  for await (const frames of node.peer) void answer(node, frames);
}

async function answer(node: ServerNode, frames: Buffer[]): Promise<void> {
  if (frames.length < 2) return;
  const split = frames.findIndex((f, i) => i > 0 && f.length === 0);
  const envelope = split < 0 ? frames.slice(0, 1) : frames.slice(0, split + 1);
  const body = frames.slice(envelope.length);
  const reply = await handle(node, body);
  node.log.send("peer", reply, node.clock.value);
  await node.peer.send([...envelope, encode(reply)]).catch(() => {});
}

async function handle(node: ServerNode, body: Buffer[]): Promise<Envelope> {
  const now = () => node.wall.now();
  let raw: { service?: unknown; data?: unknown };
  try {
    if (body.length !== 1) throw new Error(`a request is exactly one frame, got ${body.length}`);
    raw = decode(body[0]!) as typeof raw;
    if (!raw || typeof raw !== "object" || typeof raw.service !== "string") throw new Error("expected {service, data}");
  } catch (e) {
    return errorReply("error", (e as Error).message, node.clock.tick(), now);
  }
  const service = raw.service as string;
  const data = raw.data && typeof raw.data === "object" ? (raw.data as Record<string, unknown>) : {};
  node.log.recv("peer", raw, node.clock.value);
  if (data.clock !== undefined && readClock(data.clock) === null) {
    return errorReply(service, `clock must be a non-negative number at most ${MAX_CLOCK}`, node.clock.tick(), now);
  }
  node.clock.merge(data.clock);
  const handler = node.peerServices.get(service);
  if (!handler) return errorReply(service, `unknown peer service '${service}'`, node.clock.tick(), now);
  try {
    const out = await handler(data);
    return makeReply(service, out, node.clock.tick(), now);
  } catch (e) {
    return errorReply(service, (e as Error).message, node.clock.tick(), now);
  }
}
