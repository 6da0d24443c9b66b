/**
 * The server's side of the broker: requests arrive on a DEALER as
 * `[...envelope, "", body]` and are answered with the same envelope.
 *
 * Group commit: every request already queued on the socket is handled in
 * one store transaction, so a burst of publishes costs one fsync, not one
 * each. Once that transaction is committed, the batch's deliveries go out
 * and each request awaits the replication policy on its own, so one slow
 * acknowledgement does not hold up the rest. At most {@link MAX_IN_FLIGHT}
 * requests are open at once, after which reading pauses (the socket's
 * high-water mark then pushes back on the broker).
 *
 * A request in the seed team's flat dialect (`{command, …}`, see
 * seed-dialect.ts) is served by the same services and answered flat.
 *
 * A DEALER client may leave out the empty delimiter: the message is then
 * `[routing id, body]` (the broker's ROUTER adds the id) and the reply goes
 * back the same way, without a delimiter.
 *
 * @module
 */
import type { HandleResult } from "../chat-service.ts";
import { decode, encode } from "../../wire/codec.ts";
import { errorReply, type Envelope } from "../../wire/protocol.ts";
import { fromSeed, isSeedRequest, toSeedReply } from "../../wire/seed-dialect.ts";
import type { ChatRecord } from "../../store/store.ts";
import type { ServerNode } from "../node.ts";
import { traced } from "../../debug/stall-trace.ts";

/** Most client requests being answered at once. */
export const MAX_IN_FLIGHT = 1000;
/** Most requests handled in one transaction. */
export const MAX_BATCH = 256;

/**
 * Other writes that join a batch's transaction (records pushed by peers),
 * so one fsync covers them too: `stage` runs inside the transaction and
 * returns what to do once it committed (`done(true)`) or failed
 * (`done(false)`, nothing of it is stored). Registered in
 * `node.commitParticipants`.
 */
export type CommitParticipant = () => ((committed: boolean) => void) | undefined;

/** A request handled inside the batch's transaction, waiting for commit. */
interface Handled {
  envelope: Buffer[];
  /** The request was in the seed team's flat dialect: so is the reply. */
  seed?: boolean;
  /** The reply to send now (bad input), or the service's result. */
  reply?: Envelope;
  result?: HandleResult;
  written?: ChatRecord[];
}

/** Serves client requests until the node's backend socket closes. */
export async function serveClients(node: ServerNode): Promise<void> {
  const sock = node.backend;
  let inFlight = 0;
  let slotFreed: (() => void) | null = null;
  const done = () => {
    inFlight--;
    slotFreed?.();
    slotFreed = null;
  };
  while (!sock.closed) {
    await sock.readable();
    const batch: Buffer[][] = [];
    for (let m; batch.length < MAX_BATCH && inFlight + batch.length < MAX_IN_FLIGHT && (m = sock.tryReceive()) !== null; ) batch.push(m);
    if (batch.length === 0) continue;
    inFlight += batch.length;
    for (const p of handleBatch(node, batch)) void p.finally(done);
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

/**
 * Handles a batch of requests in one transaction, then publishes their
 * deliveries and answers each once its records may be acknowledged.
 * Returns one promise per request, settled once it was answered.
 */
function handleBatch(node: ServerNode, batch: Buffer[][]): Promise<void>[] {
  const now = () => node.wall.now();
  const handled: Handled[] = [];
  const after: ((committed: boolean) => void)[] = [];
  let committed = false;
  try {
    traced("batch", () => node.store.transaction(() => {
      for (const frames of batch) {
        const parts = splitEnvelope(frames);
        if (!parts) continue;
        handled.push(handleOne(node, parts.envelope, parts.body));
      }
      for (const p of node.commitParticipants) {
        const done = p();
        if (done) after.push(done);
      }
    }));
    committed = true;
  } catch (e) {
    // The commit failed: nothing of the batch is stored, so nothing is delivered or acknowledged.
    for (const h of handled) {
      if (h.result) h.reply = errorReply(h.result.service, `storage failed: ${(e as Error).message}; retry`, node.clock.tick(), now);
    }
  }
  for (const done of after) done(committed);
  const out: Promise<void>[] = [];
  for (let i = 0; i < batch.length - handled.length; i++) out.push(Promise.resolve()); // no routing id: nothing to answer
  for (const h of handled) {
    if (h.reply) {
      out.push(reply(node, h, h.reply));
      continue;
    }
    const res = h.result!;
    for (const d of res.deliveries) {
      node.log.send(`pub:${d.topic}`, d.payload, node.clock.value);
      node.sendPub(d.topic, d.payload);
    }
    out.push(acknowledge(node, res, h.written!).then((r) => reply(node, h, r)));
  }
  return out;
}

/** Decodes and handles one request inside the batch's transaction. */
function handleOne(node: ServerNode, envelope: Buffer[], body: Buffer[]): Handled {
  const now = () => node.wall.now();
  if (body.length !== 1) {
    return { envelope, reply: errorReply("error", `a request is exactly one frame, got ${body.length}`, node.clock.tick(), now) };
  }
  let raw: unknown;
  try {
    raw = decode(body[0]!);
  } catch (e) {
    return { envelope, reply: errorReply("error", `not a MessagePack map: ${(e as Error).message}`, node.clock.tick(), now) };
  }
  const seed = isSeedRequest(raw);
  try {
    const req = isSeedRequest(raw) ? fromSeed(raw) : raw;
    node.clock.merge((req as { data?: { clock?: unknown } } | null)?.data?.clock);
    node.log.recv("broker", req, node.clock.value);
    const result = node.chat.handle(req, { createChannels: seed });
    const written = result.records.length > 0 ? result.records : repeated(node, result.service, result.reply);
    return { envelope, seed, result, written };
  } catch (e) {
    return { envelope, seed, reply: errorReply("error", `internal error: ${(e as Error).message}`, node.clock.tick(), now) };
  }
}

/** The reply once the replication policy holds for what the request wrote (or `erro`, "retry"). */
async function acknowledge(node: ServerNode, res: HandleResult, written: ChatRecord[]): Promise<Envelope> {
  if (written.length === 0) return res.reply;
  try {
    await node.commitHook(written);
    return res.reply;
  } catch (e) {
    // Stored here but not confirmed by enough replicas: tell the client to
    // retry (the same id is deduplicated) rather than acknowledge it.
    return errorReply(res.service, (e as Error).message, node.clock.tick(), () => node.wall.now());
  }
}

async function reply(node: ServerNode, h: Handled, msg: Envelope): Promise<void> {
  node.log.send("broker", msg, node.clock.value);
  await node.backend.send([...h.envelope, encode(h.seed ? toSeedReply(msg) : msg)]).catch(() => {});
  for (const h of node.handledHooks) h();
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
