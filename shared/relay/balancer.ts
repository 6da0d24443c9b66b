/**
 * The broker's routing, as a pure state machine (no sockets, no timers):
 * which server gets a request, what happens when one freezes, and which
 * reply reaches the client. The ZeroMQ guide's load-balancing and Paranoid
 * Pirate patterns are the model, kept compatible with servers that know
 * nothing of them (a plain REP or DEALER on 5556).
 *
 * - **Least loaded, bounded.** A request goes to the server in rotation with
 *   the fewest requests in flight, at most `maxInFlight` (and
 *   `maxInFlightBytes`) each; beyond that it
 *   waits in the broker's queue (bounded in requests and bytes; past the
 *   bound the client is refused at once).
 * - **Tagged.** Each request carries a tag frame of the broker's in front of
 *   the client's envelope; REP and DEALER servers send envelopes back as
 *   they came, so a reply names the request it answers. A late reply to a
 *   request already answered (by another server) is dropped.
 * - **Liveness.** Our servers heartbeat (a one-frame message) every few
 *   hundred ms: one silent for `heartbeatTimeoutMs` leaves the rotation. A
 *   server that never heartbeats (another team's) leaves it when it holds
 *   requests and answered none for `stallMs`. Either comes back as soon as it
 *   sends anything again.
 * - **Re-sent, not lost.** The requests a server held when it left the
 *   rotation (or disconnected) go to another server; client ids make a
 *   re-sent publish safe. After `maxAttempts` servers the client is told.
 *
 * @module
 */

export interface BalancerOptions {
  /** Requests in flight per server (default 128). */
  maxInFlight?: number;
  /** A heartbeating server silent this long leaves the rotation (ms, default 750). */
  heartbeatTimeoutMs?: number;
  /** A server without heartbeats, holding requests and answering none this long, leaves it (ms, default 1000). */
  stallMs?: number;
  /** Bytes of requests in flight per server (default 8 MiB; one request alone may exceed it). */
  maxInFlightBytes?: number;
  /** Requests waiting for a server, at most (default 10,000). */
  maxQueued?: number;
  /** Bytes of waiting requests, at most (default 64 MiB). */
  maxQueuedBytes?: number;
  /** Servers a request is tried on before the client is told (default 3). */
  maxAttempts?: number;
}

/** What the caller must do: send frames to a server, answer a client, or log. */
export type BalancerAction =
  | { type: "to-server"; server: string; frames: Buffer[] }
  | { type: "to-client"; frames: Buffer[] }
  | { type: "refuse"; client: Buffer[]; body: Buffer[]; delimited: boolean; reason: string }
  | { type: "log"; text: string };

interface Server {
  id: string;
  /** Tags of the requests it holds, with their sizes. */
  inFlight: Map<number, number>;
  inFlightBytes: number;
  /** Sends heartbeats (then liveness is judged by them, not by replies). */
  beats: boolean;
  lastHeard: number;
  /** When it last went from holding nothing to holding a request. */
  busySince: number;
  inRotation: boolean;
}

interface Pending {
  tag: number;
  /** The client's envelope: routing id(s), up to (not including) the delimiter. */
  client: Buffer[];
  body: Buffer[];
  /** The client sent the empty delimiter (REQ); a DEALER may leave it out. */
  delimited: boolean;
  bytes: number;
  server: string | null;
  tried: Set<string>;
}

const TAG_BYTES = 4;

export class Balancer {
  private readonly o: Required<BalancerOptions>;
  private readonly servers = new Map<string, Server>();
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private queuedBytes = 0;
  private nextTag = 1;
  private rr = 0;

  constructor(opts: BalancerOptions = {}) {
    this.o = {
      maxInFlight: opts.maxInFlight ?? 128,
      maxInFlightBytes: opts.maxInFlightBytes ?? 8 * 1024 * 1024,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 750,
      stallMs: opts.stallMs ?? 1000,
      maxQueued: opts.maxQueued ?? 10_000,
      maxQueuedBytes: opts.maxQueuedBytes ?? 64 * 1024 * 1024,
      maxAttempts: opts.maxAttempts ?? 3,
    };
  }

  /** Servers connected now, and how many are in rotation. */
  get size(): { connected: number; inRotation: number; queued: number; inFlight: number } {
    let inRotation = 0;
    for (const s of this.servers.values()) if (s.inRotation) inRotation++;
    return { connected: this.servers.size, inRotation, queued: this.queue.length, inFlight: this.pending.size - this.queue.length };
  }

  /** A server connected. */
  serverUp(id: string, now: number): BalancerAction[] {
    if (!this.servers.has(id)) this.servers.set(id, { id, inFlight: new Map(), inFlightBytes: 0, beats: false, lastHeard: now, busySince: now, inRotation: true });
    return this.drain(now);
  }

  /** A server's connection closed: what it held goes elsewhere. */
  serverDown(id: string, now: number): BalancerAction[] {
    const s = this.servers.get(id);
    if (!s) return [];
    this.servers.delete(id);
    return [...this.takeBack(s, now), ...this.drain(now)];
  }

  /** A client's request, `[...envelope, "", body]` (or `[id, body]` from a DEALER without delimiter). */
  request(frames: Buffer[], now: number): BalancerAction[] {
    const split = frames.findIndex((f, i) => i > 0 && f.length === 0);
    const delimited = split >= 0;
    const client = delimited ? frames.slice(0, split) : frames.slice(0, 1);
    const body = frames.slice(client.length + (delimited ? 1 : 0));
    const bytes = body.reduce((n, f) => n + f.length, 0);
    const p: Pending = { tag: this.takeTag(), client, body, delimited, bytes, server: null, tried: new Set() };
    const target = this.pick(p);
    if (target) {
      this.pending.set(p.tag, p);
      return [this.dispatch(p, target, now)];
    }
    if (this.queue.length >= this.o.maxQueued || this.queuedBytes + bytes > this.o.maxQueuedBytes) {
      return [{ type: "refuse", client, body, delimited, reason: "the cluster is overloaded; retry" }];
    }
    this.pending.set(p.tag, p);
    this.queue.push(p);
    this.queuedBytes += bytes;
    return [];
  }

  /** Anything a server sent: a reply `[tag, ...client envelope, "", body]`, or a heartbeat (one frame). */
  fromServer(id: string, frames: Buffer[], now: number): BalancerAction[] {
    const s = this.servers.get(id);
    if (!s) return [];
    const out: BalancerAction[] = [];
    s.lastHeard = now;
    if (!s.inRotation) {
      s.inRotation = true;
      out.push({ type: "log", text: `server ${hex(id)} answers again: back in rotation` });
    }
    if (frames.length === 1) {
      s.beats = true;
      return [...out, ...this.drain(now)];
    }
    const tag = frames[0]!.length === TAG_BYTES ? frames[0]!.readUInt32BE(0) : -1;
    const p = this.pending.get(tag);
    release(s, tag);
    if (p) {
      // The first answer wins, from whichever server: the one it was re-sent to forgets it.
      if (p.server !== null) release(this.servers.get(p.server), tag);
      else this.unqueue(p);
      this.pending.delete(tag);
      const rest = frames.slice(1);
      const split = rest.findIndex((f) => f.length === 0);
      // Back to the client as it asked: with the delimiter for REQ, without for a bare DEALER.
      const reply = split < 0 ? rest.slice(p.client.length) : rest.slice(split + 1);
      out.push({ type: "to-client", frames: p.delimited ? [...p.client, Buffer.alloc(0), ...reply] : [...p.client, ...reply] });
    }
    return [...out, ...this.drain(now)];
  }

  /** Advance time: servers gone quiet leave the rotation and their requests go elsewhere. */
  tick(now: number): BalancerAction[] {
    const out: BalancerAction[] = [];
    for (const s of this.servers.values()) {
      if (!s.inRotation) continue;
      const quiet = now - s.lastHeard;
      const stuck = s.beats
        ? quiet >= this.o.heartbeatTimeoutMs
        : s.inFlight.size > 0 && now - Math.max(s.lastHeard, s.busySince) >= this.o.stallMs;
      if (!stuck) continue;
      s.inRotation = false;
      out.push({ type: "log", text: `server ${hex(s.id)} silent for ${quiet} ms with ${s.inFlight.size} requests: out of rotation, its requests go elsewhere` });
      out.push(...this.takeBack(s, now));
    }
    return [...out, ...this.drain(now)];
  }

  /** Re-sends (or queues) what a server held; past maxAttempts the client is told. */
  private takeBack(s: Server, now: number): BalancerAction[] {
    const out: BalancerAction[] = [];
    for (const tag of s.inFlight.keys()) {
      const p = this.pending.get(tag);
      if (!p) continue;
      p.server = null;
      if (p.tried.size >= this.o.maxAttempts) {
        this.pending.delete(tag);
        out.push({ type: "refuse", client: p.client, body: p.body, delimited: p.delimited, reason: `no answer from ${p.tried.size} servers; retry` });
        continue;
      }
      const target = this.pick(p);
      if (target) out.push(this.dispatch(p, target, now));
      else {
        this.queue.unshift(p);
        this.queuedBytes += p.bytes;
      }
    }
    s.inFlight.clear();
    s.inFlightBytes = 0;
    return out;
  }

  private unqueue(p: Pending): void {
    const i = this.queue.indexOf(p);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.queuedBytes -= p.bytes;
  }

  /** Sends queued requests while some server has room. */
  private drain(now: number): BalancerAction[] {
    const out: BalancerAction[] = [];
    while (this.queue.length > 0) {
      const p = this.queue[0]!;
      const target = this.pick(p);
      if (!target) break;
      this.queue.shift();
      this.queuedBytes -= p.bytes;
      out.push(this.dispatch(p, target, now));
    }
    return out;
  }

  /** The server in rotation with the fewest in flight and room for one more, preferring one not yet tried; ties in turn. */
  private pick(p: Pending): Server | null {
    let best: Server | null = null;
    // Ties go round-robin: start each search one server further on.
    const list = [...this.servers.values()];
    const start = this.rr++ % Math.max(1, list.length);
    for (let k = 0; k < list.length; k++) {
      const s = list[(start + k) % list.length]!;
      if (!s.inRotation || s.inFlight.size >= this.o.maxInFlight) continue;
      if (s.inFlight.size > 0 && s.inFlightBytes + p.bytes > this.o.maxInFlightBytes) continue;
      const better =
        best === null ||
        (p.tried.has(best.id) && !p.tried.has(s.id)) ||
        (p.tried.has(best.id) === p.tried.has(s.id) && s.inFlight.size < best.inFlight.size);
      if (better) best = s;
    }
    return best;
  }

  private dispatch(p: Pending, s: Server, now: number): BalancerAction {
    if (s.inFlight.size === 0) s.busySince = now;
    p.server = s.id;
    p.tried.add(s.id);
    s.inFlight.set(p.tag, p.bytes);
    s.inFlightBytes += p.bytes;
    const tag = Buffer.allocUnsafe(TAG_BYTES);
    tag.writeUInt32BE(p.tag, 0);
    return { type: "to-server", server: s.id, frames: [tag, ...p.client, Buffer.alloc(0), ...p.body] };
  }

  private takeTag(): number {
    do this.nextTag = (this.nextTag + 1) >>> 0;
    while (this.nextTag === 0 || this.pending.has(this.nextTag));
    return this.nextTag;
  }
}

/** The server no longer holds the request. */
function release(s: Server | undefined, tag: number): void {
  const bytes = s?.inFlight.get(tag);
  if (s === undefined || bytes === undefined) return;
  s.inFlight.delete(tag);
  s.inFlightBytes -= bytes;
}

function hex(id: string): string {
  return Buffer.from(id, "latin1").toString("hex");
}
