/**
 * The page's WebSocket to the gateway: requests with a `ref` each,
 * answered by the reply of the same `ref`; pushed frames to a listener;
 * and reconnecting by itself after any close, with a growing, jittered
 * delay (0.5 s doubling up to 8 s), at once when the browser says it is
 * back online. Requests in flight when the socket drops fail with code
 * `disconnected`; the caller decides what to send again.
 *
 * @module
 */
import type { BrowserRequest, ErrorCode, GatewayFrame, ReplyData, RequestType } from "../shared/web/protocol.ts";

/** Requests waiting for a reply at once; the gateway's bound is higher. */
const MAX_OUT = 8;

export type LinkState = "connecting" | "open" | "closed";

/** A request that failed: refused by the gateway or the cluster, or the socket dropped. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode | "disconnected",
    message: string,
  ) {
    super(message);
  }
}

type Outgoing = BrowserRequest extends infer R ? (R extends { ref: number } ? Omit<R, "ref"> : never) : never;

export interface ConnectionEvents {
  /** The socket opened (a new session on the gateway: log in again). */
  open(): void;
  /** The socket closed; `retryInMs` until the next attempt. */
  closed(retryInMs: number, why: string): void;
  /** A pushed frame (not a reply). */
  frame(f: Exclude<GatewayFrame, { t: "reply" }>): void;
}

export class Connection {
  state: LinkState = "closed";
  private ws: WebSocket | null = null;
  private nextRef = 1;
  private readonly pending = new Map<number, { resolve: (d: unknown) => void; reject: (e: RequestError) => void }>();
  private delay = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private turns: (() => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly on: ConnectionEvents,
  ) {
    addEventListener("online", () => this.retryNow());
  }

  connect(): void {
    if (this.stopped || this.ws) return;
    this.state = "connecting";
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.state = "open";
      this.delay = 500;
      this.on.open();
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.state = "closed";
      for (const p of this.pending.values()) p.reject(new RequestError("disconnected", "the connection dropped"));
      this.pending.clear();
      for (const t of this.turns.splice(0)) t();
      if (this.stopped) return;
      const wait = Math.round(this.delay * (0.75 + Math.random() * 0.5));
      this.delay = Math.min(this.delay * 2, 8000);
      this.on.closed(wait, e.reason || (e.code === 1006 ? "connection lost" : `closed (${e.code})`));
      this.timer = setTimeout(() => {
        this.timer = null;
        this.connect();
      }, wait);
    };
  }

  /** Tries again now instead of waiting out the delay. */
  retryNow(): void {
    if (this.ws || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.delay = 500;
    this.connect();
  }

  /**
   * Sends a request; resolves with the reply's data, rejects RequestError.
   * At most {@link MAX_OUT} wait for replies at once (the gateway refuses
   * more); the rest wait their turn here.
   */
  async request<T extends RequestType>(req: Extract<Outgoing, { t: T }>): Promise<ReplyData[T]> {
    while (this.pending.size >= MAX_OUT && this.ws) await new Promise<void>((r) => this.turns.push(r));
    const ws = this.ws;
    if (!ws || this.state !== "open") throw new RequestError("disconnected", "not connected");
    const ref = this.nextRef++;
    try {
      return await new Promise<ReplyData[T]>((resolve, reject) => {
        this.pending.set(ref, { resolve: resolve as (d: unknown) => void, reject });
        ws.send(JSON.stringify({ ...req, ref }));
      });
    } finally {
      this.turns.shift()?.();
    }
  }

  /** Closes for good (logging out). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, "bye");
    this.ws = null;
    this.state = "closed";
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let f: GatewayFrame;
    try {
      f = JSON.parse(data) as GatewayFrame;
    } catch {
      return;
    }
    if (f.t !== "reply") return this.on.frame(f);
    const p = this.pending.get(f.ref);
    if (!p) return;
    this.pending.delete(f.ref);
    if (f.ok) p.resolve(f.data);
    else p.reject(new RequestError(f.code, f.error));
  }
}
