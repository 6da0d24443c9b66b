/**
 * A socket's endpoints: listeners from bind(), and endpoints from connect()
 * dialled again whenever their connection ends, after `reconnectInterval`
 * ms, doubling up to `reconnectMaxInterval` when that is larger (libzmq's
 * reconnect_ivl / reconnect_ivl_max); a completed handshake resets the
 * backoff. Each endpoint keeps the security configuration that was in
 * force when it was bound or connected, as libzmq does.
 * @module
 */
import type { Socket as BunSocket, SocketListener } from "bun";
import type { Connection } from "./connection.ts";
import { parseEndpoint, type Endpoint } from "./endpoint.ts";
import { ZmtpError } from "./errors.ts";
import type { Security } from "./security.ts";
import { dial, listen, socketHandlers } from "./transport.ts";

interface Dial {
  ep: Endpoint;
  text: string;
  security: Security;
  conn: Connection | null;
  timer: ReturnType<typeof setTimeout> | null;
  interval: number;
  stopped: boolean;
}

/** The socket settings endpoints read (live, so later changes apply to later attempts). */
export interface EndpointSettings {
  readonly closed: boolean;
  readonly reconnectInterval: number;
  readonly reconnectMaxInterval: number;
}

/** Wraps a freshly opened transport socket in a Connection of the owning socket. */
export type Adopt = (s: BunSocket<any>, security: Security, endpoint: string) => Connection;

export class Endpoints {
  private readonly listeners = new Map<string, SocketListener<any>>();
  private readonly dials = new Map<string, Dial>();
  private readonly dialOf = new Map<Connection, Dial>();

  constructor(
    private readonly settings: EndpointSettings,
    private readonly adopt: Adopt,
  ) {}

  /** Listen; returns the endpoint as libzmq reports it (the port chosen for `:0` / `:*`). */
  bind(endpoint: string, security: Security): string {
    const ep = parseEndpoint(endpoint, true);
    const [l, last] = listen(ep, endpoint, this.handlers(null, security, endpoint));
    this.listeners.set(last, l);
    if (last !== endpoint) this.listeners.set(endpoint, l);
    return last;
  }

  unbind(endpoint: string): void {
    const l = this.listeners.get(endpoint);
    if (!l) throw new ZmtpError("EINVAL", `not bound to ${endpoint}`);
    for (const [k, v] of this.listeners) if (v === l) this.listeners.delete(k);
    l.stop(false);
  }

  connect(endpoint: string, security: () => Security): void {
    const ep = parseEndpoint(endpoint, false);
    if (this.dials.has(endpoint)) return;
    const d: Dial = { ep, text: endpoint, security: security(), conn: null, timer: null, interval: this.settings.reconnectInterval, stopped: false };
    this.dials.set(endpoint, d);
    this.dial(d);
  }

  disconnect(endpoint: string): void {
    const d = this.dials.get(endpoint);
    if (!d) return;
    this.dials.delete(endpoint);
    d.stopped = true;
    if (d.timer) clearTimeout(d.timer);
    d.conn?.destroy();
  }

  /** A connection completed its handshake: its endpoint's backoff starts over. */
  ready(c: Connection): void {
    const d = this.dialOf.get(c);
    if (d) d.interval = this.settings.reconnectInterval;
  }

  /** A connection ended: dial its endpoint again (if it was dialled). */
  ended(c: Connection): void {
    const d = this.dialOf.get(c);
    if (d) {
      this.dialOf.delete(c);
      this.redial(d);
    }
  }

  /** Stop every listener and every dial. */
  stop(): void {
    for (const l of new Set(this.listeners.values())) l.stop(false);
    this.listeners.clear();
    for (const d of this.dials.values()) {
      d.stopped = true;
      if (d.timer) clearTimeout(d.timer);
    }
    this.dials.clear();
  }

  private dial(d: Dial): void {
    d.timer = null;
    if (d.stopped || this.settings.closed) return;
    dial(d.ep, this.handlers(d, d.security, d.text)).catch(() => this.redial(d));
  }

  private redial(d: Dial): void {
    d.conn = null;
    if (d.stopped || this.settings.closed || d.timer) return;
    d.timer = setTimeout(() => this.dial(d), d.interval);
    const max = this.settings.reconnectMaxInterval;
    if (max > d.interval) d.interval = Math.min(d.interval * 2, max);
  }

  private handlers(d: Dial | null, security: Security, endpoint: string) {
    return socketHandlers((s) => {
      if (this.settings.closed || d?.stopped) return void s.end();
      const c = this.adopt(s, security, endpoint);
      if (d) {
        d.conn = c;
        this.dialOf.set(c, d);
      }
    });
  }
}
