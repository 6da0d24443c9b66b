/**
 * A browser-protocol session without a browser: one WebSocket to the web
 * gateway speaking its JSON frames (shared/web/protocol.ts), with replies
 * matched by `ref`, pushed messages collected, and the close code kept.
 * For the gateway's tests and the benchmark.
 *
 * @module
 */
import type { BrowserRequest, Delivery, GatewayFrame, ReplyData, RequestType } from "../../shared/web/protocol.ts";

type Outgoing = BrowserRequest extends infer R ? (R extends { ref: number } ? Omit<R, "ref"> : never) : never;

export class WsSession {
  readonly messages: Delivery[] = [];
  readonly frames: GatewayFrame[] = [];
  /** Resolves with the close code once the socket closed. */
  readonly closed: Promise<number>;
  /** Called for each pushed message as it comes. */
  onMessage: ((m: Delivery) => void) | null = null;
  private readonly ws: WebSocket;
  private readonly pending = new Map<number, (f: Extract<GatewayFrame, { t: "reply" }>) => void>();
  private ref = 1;
  private opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers } as unknown as string[]);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error(`cannot open ${url}`));
    });
    this.closed = new Promise((resolve) => {
      this.ws.onclose = (e) => resolve(e.code);
    });
    this.ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data)) as GatewayFrame;
      this.frames.push(f);
      if (f.t === "reply") this.pending.get(f.ref)?.(f);
      else if (f.t === "msg") {
        this.messages.push(f.m);
        this.onMessage?.(f.m);
      }
    };
  }

  open(): Promise<void> {
    return this.opened;
  }

  /** Sends a request; resolves with its data, rejects with the gateway's error text. */
  async request<T extends RequestType>(req: Extract<Outgoing, { t: T }>, timeoutMs = 10_000): Promise<ReplyData[T]> {
    await this.opened;
    const ref = this.ref++;
    return new Promise<ReplyData[T]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${req.t} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(ref, (f) => {
        clearTimeout(timer);
        this.pending.delete(ref);
        if (f.ok) resolve(f.data as ReplyData[T]);
        else reject(new Error(`${f.code}: ${f.error}`));
      });
      this.ws.send(JSON.stringify({ ...req, ref }));
    });
  }

  /** Sends anything at all. */
  raw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }
}
