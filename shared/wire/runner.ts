/**
 * The one request runner every endpoint uses (client requests on a server,
 * peer services, the ref): frame → decode → dialect → validate → Lamport
 * merge (once) → log → handle → stamped reply. Whatever comes in, the
 * answer is a reply, never a throw: unparsable input is answered by the
 * `error` service, refusals by `status: "erro"` with the text under the
 * field the contract names (protocol.ts).
 *
 * A request in the seed team's flat dialect (`{command, …}`) is translated
 * on the way in and answered flat on the way out (seed-dialect.ts); only the
 * client endpoint serves it.
 *
 * @module
 */
import type { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import type { Reply, Router } from "../zmq/index.ts";
import { decode, encode } from "./codec.ts";
import { ERROR_SERVICE, errorReply, makeReply, type Envelope } from "./protocol.ts";
import { fromSeed, isSeedRequest, toSeedReply } from "./seed-dialect.ts";
import { ServiceError, type Fields, type ServiceTable } from "./service-table.ts";
import { isMap, parseStamp } from "./validate.ts";

export interface RunnerOptions<C> {
  table: ServiceTable<C>;
  clock: LamportClock;
  log: Logger;
  /** Wall clock in ms for reply timestamps. */
  now: () => number;
  /** Who sends the requests, for the log (`broker`, `peer`, `server`). */
  peer: string;
}

/** A request's answer, ready to be sent. */
export interface Answer {
  service: string;
  reply: Envelope;
  /** The request came in the seed dialect: the reply goes out flat. */
  seed: boolean;
  /** The reply is a refusal (`status: "erro"`). */
  failed: boolean;
}

/** Splits `[...envelope, "", body]` (or `[id, body]` from a DEALER without delimiter); null without a routing id. */
export function splitEnvelope(frames: Buffer[]): { envelope: Buffer[]; body: Buffer[] } | null {
  if (frames.length < 2) return null;
  const split = frames.findIndex((f, i) => i > 0 && f.length === 0);
  const envelope = split < 0 ? frames.slice(0, 1) : frames.slice(0, split + 1);
  return { envelope, body: frames.slice(envelope.length) };
}

export class Runner<C> {
  constructor(private readonly o: RunnerOptions<C>) {}

  /** The request in a body (the frames after any envelope), or the answer refusing it. */
  decode(body: Buffer[]): { raw: unknown } | { answer: Answer } {
    if (body.length !== 1) return { answer: this.refuse(ERROR_SERVICE, `a request is exactly one frame, got ${body.length}`, false) };
    try {
      return { raw: decode(body[0]!) };
    } catch (e) {
      return { answer: this.refuse(ERROR_SERVICE, `not a MessagePack map: ${(e as Error).message}`, false) };
    }
  }

  /** Handles a decoded request: at once when the handler is synchronous, else as a promise. Never throws. */
  handle(raw: unknown, ctx: C): Answer | Promise<Answer> {
    const { table, clock, log } = this.o;
    const seed = table.endpoint === "client" && isSeedRequest(raw);
    const req = seed ? fromSeed(raw as Fields) : raw;
    if (!isMap(req)) return this.refuse(ERROR_SERVICE, "request must be a map {service, data}", seed);
    const service = req.service;
    if (typeof service !== "string" || service.length === 0 || service.length > 64) {
      return this.refuse(ERROR_SERVICE, "request has no valid 'service' string", seed);
    }
    const d = req.data === undefined || req.data === null ? {} : req.data;
    if (!isMap(d)) return this.refuse(service, "'data' must be a map", seed);
    const data: Fields = {};
    const stampError = parseStamp(d, data);
    clock.merge(data.clock); // once per request, and only a clock parseStamp accepted
    log.recv(this.o.peer, req, clock.value);
    if (stampError) return this.refuse(service, stampError, seed);
    const entry = table.get(service);
    if (!entry) return this.refuse(service, table.notServed(service), seed);
    const fieldError = entry.rule?.(d, data);
    if (fieldError) return this.refuse(service, fieldError, seed);
    const fields = entry.rule ? data : { ...d, ...data }; // no rule: the handler checks the fields itself
    let out: Fields | Promise<Fields>;
    try {
      out = entry.handle(fields, ctx, { seed });
    } catch (e) {
      return this.failure(service, e, seed);
    }
    if (out instanceof Promise) return out.then((f) => this.answer(service, f, seed), (e) => this.failure(service, e, seed));
    return this.answer(service, out, seed);
  }

  /** decode + handle, for endpoints that answer each request as soon as it is handled. */
  run(body: Buffer[], ctx: C): Answer | Promise<Answer> {
    const d = this.decode(body);
    return "answer" in d ? d.answer : this.handle(d.raw, ctx);
  }

  /** A refusal answered now (e.g. a write the replicas did not confirm). */
  refuse(service: string, text: string, seed: boolean): Answer {
    return { service, reply: errorReply(service, text, this.o.clock.tick(), this.o.now), seed, failed: true };
  }

  /** The bytes to send for an answer (flat for the seed dialect), logged as sent. */
  encode(a: Answer): Buffer {
    this.o.log.send(this.o.peer, a.reply, this.o.clock.value);
    return encode(a.seed ? toSeedReply(a.reply) : a.reply);
  }

  private answer(service: string, fields: Fields, seed: boolean): Answer {
    return { service, reply: makeReply(service, fields, this.o.clock.tick(), this.o.now), seed, failed: false };
  }

  private failure(service: string, e: unknown, seed: boolean): Answer {
    const text = e instanceof ServiceError ? e.message : `internal error: ${(e as Error)?.message ?? e}`;
    return this.refuse(service, text, seed);
  }
}

/**
 * Serves a REP or ROUTER socket until it closes: every request is run and
 * answered (a ROUTER's with the envelope it came with), each on its own so
 * a slow handler does not hold up the rest.
 */
export async function serveRequests<C>(sock: Reply | Router, runner: Runner<C>, ctx: C, routed: boolean): Promise<void> {
  for await (const frames of sock) {
    const parts = routed ? splitEnvelope(frames) : { envelope: [], body: frames };
    if (!parts) continue;
    const answer = runner.run(parts.body, ctx);
    const send = (a: Answer) => sock.send([...parts.envelope, runner.encode(a)]).catch(() => {});
    if (!routed) await send(await answer); // REP: strictly one request, then its reply
    else if (answer instanceof Promise) void answer.then(send);
    else void send(answer);
  }
}
