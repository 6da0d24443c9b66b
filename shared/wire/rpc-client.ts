/**
 * Request-reply client with timeout and retry (the "lazy pirate" pattern):
 * one REQ socket, one request in flight; on a timeout the socket is thrown
 * away (a REQ that missed its reply can never send again) and the same
 * request is sent on a fresh one. Every request is stamped with the wall
 * clock and a ticked Lamport clock; every reply is merged into the clock
 * and logged. Used by clients, bots, and servers talking to the ref and to
 * their peers.
 *
 * @module
 */
import { decode, encode } from "./codec.ts";
import type { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import type { Envelope } from "./protocol.ts";
import { Request, type SocketOptions } from "../zmq/index.ts";

export interface RpcOptions {
  endpoint: string;
  clock: LamportClock;
  /** Label for the far side in log lines (default the endpoint). */
  peerName?: string;
  log?: Logger;
  /** ms to wait for one reply (default 2000). */
  timeoutMs?: number;
  /** Extra attempts after the first (default 2). */
  retries?: number;
  /** Wall clock for `timestamp` (default Date.now). */
  now?: () => number;
  /** Security options of the socket (e.g. CURVE to a cluster port). */
  security?: SocketOptions;
}

/** The one error an RpcClient rejects with. */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly code: "timeout" | "closed" | "bad-reply",
    message: string,
  ) {
    super(message);
  }
}

export class RpcClient {
  private sock: Request | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly endpoint: string;

  constructor(private readonly opts: RpcOptions) {
    this.endpoint = opts.endpoint;
  }

  /**
   * Sends `{service, data}` and resolves with the decoded reply. Requests
   * queue behind each other. Rejects RpcError('timeout') once every attempt
   * timed out; the caller decides what that means.
   */
  request(service: string, data: Record<string, unknown> = {}, timeoutMs?: number): Promise<Envelope> {
    const run = () => this.attempt(service, data, timeoutMs ?? this.opts.timeoutMs ?? 2000);
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private async attempt(service: string, data: Record<string, unknown>, timeoutMs: number): Promise<Envelope> {
    const { clock, log } = this.opts;
    const now = this.opts.now ?? Date.now;
    const peer = this.opts.peerName ?? this.endpoint;
    const tries = 1 + (this.opts.retries ?? 2);
    for (let i = 0; i < tries; i++) {
      if (this.closed) throw new RpcError("closed", "client closed");
      const msg = { service, data: { ...data, timestamp: now(), clock: clock.tick() } };
      log?.send(peer, msg, clock.value);
      const sock = this.socket(timeoutMs);
      try {
        await sock.send(encode(msg));
        const [frame] = await sock.receive();
        const reply = asEnvelope(decode(frame!), service);
        if (!reply) throw new RpcError("bad-reply", `malformed reply from ${peer}`);
        clock.merge(reply.data?.clock);
        log?.recv(peer, reply, clock.value);
        return reply;
      } catch (e) {
        if (e instanceof RpcError) throw e;
        // Timed out, or the socket was closed under us: start over on a new one.
        this.drop();
        if (i + 1 < tries) log?.info(`no reply from ${peer} to ${service}, retrying`, clock.value);
      }
    }
    throw new RpcError("timeout", `no reply from ${peer} to ${service} after ${tries} attempts`);
  }

  private socket(timeoutMs: number): Request {
    if (!this.sock) {
      this.sock = new Request({ ...this.opts.security, receiveTimeout: timeoutMs, sendTimeout: timeoutMs, linger: 0 });
      this.sock.connect(this.endpoint);
    }
    this.sock.receiveTimeout = timeoutMs;
    this.sock.sendTimeout = timeoutMs;
    return this.sock;
  }

  private drop(): void {
    this.sock?.close();
    this.sock = null;
  }
}

/**
 * A reply as `{service, data}`. Some servers answer flat (every field at the
 * top level, no `service`): that map is read as the data of the service asked.
 */
function asEnvelope(v: unknown, asked: string): Envelope | null {
  if (!v || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) return null;
  const m = v as Record<string, unknown>;
  if (typeof m.service === "string") return m as unknown as Envelope; // flat or not, the caller reads it
  if (m.service !== undefined) return null;
  return { service: asked, data: m } as unknown as Envelope;
}
