/**
 * The web gateway: one `Bun.serve` that serves the page (assets.ts) and a
 * WebSocket endpoint, each socket bridged to its own cluster session
 * (bridge.ts). Browsers cannot open ZeroMQ connections; through here a
 * browser user is just another client of the broker and the proxy.
 *
 * Bounds on what browsers can make it do: frames over MAX_FRAME_BYTES
 * close the socket (1009), a browser that reads too slowly is cut off
 * once MAX_BACKLOG_BYTES are queued for it, upgrades from a page of
 * another site are refused (a page elsewhere cannot borrow a visitor's
 * browser to chat here), and past `maxSessions` new sockets are turned
 * away. No compression: a small frame cannot inflate into a large one.
 *
 * @module
 */
import type { Server, ServerWebSocket } from "bun";
import type { LogMode, Logger } from "../roles/log.ts";
import { SECURITY_HEADERS, type PageAssets } from "./assets.ts";
import { BrowserBridge } from "./bridge.ts";
import { CLOSE, MAX_BACKLOG_BYTES, MAX_FRAME_BYTES, WS_PATH } from "./protocol.ts";

export interface GatewayOptions {
  /** Port to listen on (0: any free one) and the address to bind. */
  port: number;
  hostname: string;
  endpoints: { brokerFrontend: string; proxyXpub: string };
  timeoutMs: number;
  retries: number;
  logMode: LogMode;
  maxSessions: number;
  assets: PageAssets;
  /** The role's own log (start, stop, refusals). */
  log: Logger;
}

interface SocketData {
  peer: string;
  bridge?: BrowserBridge;
}

export interface Gateway {
  readonly port: number;
  /** Open browser sockets. */
  readonly sessions: number;
  stop(): Promise<void>;
}

/** Starts serving; resolves once it listens. */
export function startGateway(o: GatewayOptions): Gateway {
  const open = new Set<ServerWebSocket<SocketData>>();
  const server: Server<SocketData> = Bun.serve<SocketData>({
    port: o.port,
    hostname: o.hostname,
    fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === WS_PATH) return upgrade(req, srv);
      if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "method not allowed");
      return o.assets.respond(url.pathname) ?? plain(404, "not found");
    },
    websocket: {
      maxPayloadLength: MAX_FRAME_BYTES,
      backpressureLimit: MAX_BACKLOG_BYTES,
      closeOnBackpressureLimit: true,
      perMessageDeflate: false,
      idleTimeout: 60,
      sendPings: true,
      open(ws) {
        open.add(ws);
        ws.data.bridge = new BrowserBridge({
          endpoints: o.endpoints,
          timeoutMs: o.timeoutMs,
          retries: o.retries,
          logMode: o.logMode,
          peer: ws.data.peer,
          send: (text) => void ws.send(text),
          close: (code, reason) => ws.close(code, reason),
        });
      },
      message(ws, msg) {
        const b = ws.data.bridge;
        if (!b) return;
        if (typeof msg === "string") b.onText(msg);
        else b.onBinary();
      },
      close(ws) {
        open.delete(ws);
        ws.data.bridge?.close();
      },
    },
    error(e) {
      o.log.error(`request failed: ${e.message}`);
      return plain(500, "internal error");
    },
  });

  function upgrade(req: Request, srv: Server<SocketData>): Response | undefined {
    const origin = req.headers.get("origin");
    const host = req.headers.get("host");
    if (origin !== null && !sameHost(origin, host)) {
      o.log.info(`refused a WebSocket from the page of another site (${origin.slice(0, 100)})`);
      return plain(403, "cross-site WebSocket refused");
    }
    if (open.size >= o.maxSessions) return plain(503, "too many sessions; try again later");
    const addr = srv.requestIP(req);
    const peer = addr ? `${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}` : "browser";
    if (srv.upgrade(req, { data: { peer } })) return undefined;
    return plain(426, "expected a WebSocket upgrade");
  }

  return {
    port: server.port ?? o.port,
    get sessions() {
      return open.size;
    },
    async stop() {
      for (const ws of open) ws.close(CLOSE.tryAgain, "gateway stopping");
      await server.stop(true);
    },
  };
}

/** Whether an Origin header names the host the request came to (scheme aside). */
function sameHost(origin: string, host: string | null): boolean {
  try {
    return host !== null && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function plain(status: number, text: string): Response {
  return new Response(text + "\n", { status, headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" } });
}
