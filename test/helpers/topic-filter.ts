/**
 * Exact topic matching for the tests' subscribers. A ZeroMQ SUB socket
 * filters by prefix, so a subscriber to `ana` also receives `anabela`; the
 * test client passes what its socket receives through a TopicFilter and
 * keeps only publications whose topic it asked for exactly (the real client
 * does the same in `shared/client/delivery.ts`).
 *
 * @module
 */
import { decode } from "../../shared/wire/codec.ts";
import type { Envelope } from "../../shared/wire/protocol.ts";

/** A publication accepted by the filter. */
export interface Publication {
  topic: string;
  payload: Envelope;
}

/** Why a received message was not accepted. */
export type Rejection = "shape" | "topic" | "payload";

/** The set of topics a subscriber asked for, matched exactly. */
export class TopicFilter {
  private readonly topics = new Set<string>();

  constructor(topics: Iterable<string> = []) {
    for (const t of topics) this.topics.add(t);
  }

  add(topic: string): void {
    this.topics.add(topic);
  }

  delete(topic: string): void {
    this.topics.delete(topic);
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** The topics, in insertion order. */
  list(): string[] {
    return [...this.topics];
  }

  /**
   * Checks one received message `[topic, payload]`: returns the decoded
   * publication if its topic is exactly one of ours and its payload is a
   * `{service, data}` map, or the reason it was dropped. Never throws.
   */
  check(frames: readonly Uint8Array[]): { ok: true; pub: Publication } | { ok: false; why: Rejection } {
    if (frames.length !== 2) return { ok: false, why: "shape" };
    const topic = Buffer.from(frames[0]!).toString("utf8");
    if (!this.topics.has(topic)) return { ok: false, why: "topic" };
    let payload: unknown;
    try {
      payload = decode(frames[1]!);
    } catch {
      return { ok: false, why: "payload" };
    }
    const p = payload as { service?: unknown; data?: unknown } | null;
    if (!p || typeof p !== "object" || typeof p.service !== "string" || !p.data || typeof p.data !== "object") {
      return { ok: false, why: "payload" };
    }
    return { ok: true, pub: { topic, payload: p as Envelope } };
  }

  /** The publication, or null if it is not for us (see `check`). */
  accept(frames: readonly Uint8Array[]): Publication | null {
    const r = this.check(frames);
    return r.ok ? r.pub : null;
  }
}
