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
 * A login with a password first has its password checked (argon2id, slow
 * on purpose, run off the event loop): it leaves its batch, and once the
 * check is done it is handled in a transaction of its own, so the rest of
 * the batch never waits for it.
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
import type { Credential } from "../owned-names.ts";
import { splitEnvelope, type Answer } from "../../wire/runner.ts";
import type { ChatRecord } from "../../store/store.ts";
import { BROKER_HEARTBEAT, BROKER_HEARTBEAT_MS } from "../../wire/protocol.ts";
import type { Dealer } from "../../zmq/index.ts";
import type { ClientPort } from "../ports.ts";
import { traced } from "../../debug/stall-trace.ts";

/** Most client requests being answered at once. */
export const MAX_IN_FLIGHT = 1000;
/** Most requests handled in one transaction. */
export const MAX_BATCH = 256;

/** A request to handle: decoded (with what its check found), or already answered. */
interface Admitted {
  envelope: Buffer[];
  raw?: unknown;
  credential?: Credential;
  /** The answer of a request that could not be decoded. */
  early?: HandleResult;
}

/** A request handled inside the batch's transaction, waiting for commit. */
interface Handled {
  envelope: Buffer[];
  result: HandleResult;
  /** Records the acknowledgement waits on: those stored, or the one a repeated id names. */
  written: ChatRecord[];
}

/** Serves client requests until the node's backend socket closes. */
export async function serveClients(node: ClientPort): Promise<void> {
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
    for (const p of admit(node, batch)) void p.finally(done);
    if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => (slotFreed = r));
  }
}

/**
 * Decodes a batch read from the socket and handles it: at once for every
 * request without a check, each checked request on its own once its check
 * is done. Returns one promise per message, settled once it was answered
 * (or dropped: no routing id, nothing to answer).
 */
function admit(node: ClientPort, batch: Buffer[][]): Promise<void>[] {
  const now: Admitted[] = [];
  const out: Promise<void>[] = [];
  for (const frames of batch) {
    const parts = splitEnvelope(frames);
    if (!parts) {
      out.push(Promise.resolve());
      continue;
    }
    const d = node.chat.decode(parts.body);
    if ("result" in d) {
      now.push({ envelope: parts.envelope, early: d.result });
      continue;
    }
    const check = node.chat.check(d.raw);
    if (!check) now.push({ envelope: parts.envelope, raw: d.raw });
    else out.push(check.then((credential) => handleBatch(node, [{ envelope: parts.envelope, raw: d.raw, credential }])[0]));
  }
  return now.length > 0 ? [...out, ...handleBatch(node, now)] : out;
}

/**
 * Handles admitted requests in one transaction, then publishes their
 * deliveries and answers each once its records may be acknowledged.
 * Returns one promise per request, settled once it was answered.
 */
function handleBatch(node: ClientPort, batch: Admitted[]): Promise<void>[] {
  const handled: Handled[] = [];
  const after: ((committed: boolean) => void)[] = [];
  let committed = false;
  try {
    traced("batch", () => node.store.transaction(() => {
      for (const a of batch) {
        const result = a.early ?? node.chat.handle(a.raw, a.credential);
        handled.push({ envelope: a.envelope, result, written: result.records.length > 0 ? result.records : repeated(node, result) });
      }
      after.push(...node.stageCommits());
    }));
    committed = true;
  } catch (e) {
    // The commit failed: nothing of the batch is stored, so nothing is delivered or acknowledged.
    for (const h of handled) {
      if (!h.result.failed) h.result = { ...node.chat.refuse(h.result.service, `storage failed: ${(e as Error).message}; retry`, h.result.seed), deliveries: [], records: [] };
      h.written = [];
    }
  }
  for (const done of after) done(committed);
  const out: Promise<void>[] = [];
  for (const h of handled) {
    for (const d of h.result.deliveries) {
      node.log.send(`pub:${d.topic}`, d.payload, node.clock.value);
      node.sendPub(d.topic, d.payload);
    }
    out.push(acknowledge(node, h).then((a) => reply(node, h.envelope, a)));
  }
  return out;
}

/** The answer once the replication policy holds for what the request wrote (or `erro`, "retry"). */
async function acknowledge(node: ClientPort, h: Handled): Promise<Answer> {
  if (h.written.length === 0) return h.result;
  try {
    await node.awaitCommit(h.written);
    return h.result;
  } catch (e) {
    // Stored here but not confirmed by enough replicas: tell the client to
    // retry (the same id is deduplicated) rather than acknowledge it.
    return node.chat.refuse(h.result.service, (e as Error).message, h.result.seed);
  }
}

async function reply(node: ClientPort, envelope: Buffer[], a: Answer): Promise<void> {
  await node.backend.send([...envelope, node.chat.encode(a)]).catch(() => {});
  node.handled();
}

/**
 * A publish/message answered OK without storing anything repeats an id
 * already held: its acknowledgement waits on the held record's replication
 * just as the first attempt's did.
 */
function repeated(node: ClientPort, res: HandleResult): ChatRecord[] {
  if ((res.service !== "publish" && res.service !== "message") || res.failed) return [];
  const id = res.reply.data.id;
  const held = typeof id === "string" ? node.store.get(id) : undefined;
  return held ? [held] : [];
}

/**
 * Tells the broker every BROKER_HEARTBEAT_MS that this server is alive (one frame,
 * never a valid reply), so that a frozen server leaves its rotation within
 * a second. Never waits: with no broker connected, nothing is sent.
 */
export function heartbeatBroker(sock: Dealer): () => void {
  const timer = setInterval(() => {
    try {
      sock.trySend([BROKER_HEARTBEAT]);
    } catch {
      // closed: stop() clears the timer
    }
  }, BROKER_HEARTBEAT_MS);
  return () => clearInterval(timer);
}
