/**
 * Bun TCP / unix-socket plumbing: listening, dialling, and the socket
 * callbacks that feed a {@link Connection}. Any unexpected throw inside a
 * callback closes that connection only.
 * @module
 */
import { unlinkSync } from "node:fs";
import type { Socket as BunSocket, SocketHandler, SocketListener } from "bun";
import type { Connection } from "./connection.ts";
import { formatTcp, type Endpoint } from "./endpoint.ts";
import { ZmtpError } from "./errors.ts";

type S = BunSocket<any>;
const conn = (s: S) => s.data as Connection | undefined;

function guard(s: S, f: () => void): void {
  try {
    f();
  } catch (e) {
    conn(s)?.destroy(new ZmtpError("EPROTO", "internal error on connection", e));
  }
}

/** Bun socket callbacks; `open` must create the Connection and store it in `s.data`. */
export function socketHandlers(open: (s: S) => void): SocketHandler<any> {
  return {
    open: (s) => guard(s, () => open(s)),
    data: (s, chunk) => guard(s, () => conn(s)?.onData(chunk as Buffer)),
    drain: (s) => guard(s, () => conn(s)?.onDrain()),
    close: (s) => guard(s, () => conn(s)?.peerClosed()),
    end: (s) => guard(s, () => conn(s)?.peerClosed()),
    error: (s, e) => guard(s, () => conn(s)?.destroy(new ZmtpError("EPROTO", "socket error", e))),
  };
}

/** Listen on `ep`; returns the listener and the endpoint as libzmq would report it. */
export function listen(ep: Endpoint, text: string, socket: SocketHandler<any>): [SocketListener<any>, string] {
  try {
    if (ep.transport === "ipc") {
      try {
        unlinkSync(ep.path); // stale socket file from an earlier run (libzmq does the same)
      } catch {}
      return [Bun.listen({ unix: ep.path, socket }), text];
    }
    const l = Bun.listen({ hostname: ep.host, port: ep.port, socket });
    return [l, formatTcp(ep.host, l.port)];
  } catch (e: any) {
    const inUse = e?.code === "EADDRINUSE" || /in use/i.test(String(e?.message));
    throw new ZmtpError(inUse ? "EADDRINUSE" : "EINVAL", `cannot bind ${text}: ${e?.message ?? e}`, e);
  }
}

/** Start one connection attempt; the promise rejects if it fails. */
export function dial(ep: Endpoint, socket: SocketHandler<any>): Promise<unknown> {
  return ep.transport === "ipc"
    ? Bun.connect({ unix: ep.path, socket })
    : Bun.connect({ hostname: ep.host, port: ep.port, socket });
}
