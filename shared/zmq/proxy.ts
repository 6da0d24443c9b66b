/**
 * proxy(frontend, backend): shuttle messages both ways until either socket
 * closes (libzmq `zmq_proxy`). Works for ROUTER/DEALER and XSUB/XPUB pairs:
 * XPUB subscription messages flow to the XSUB, which forwards them upstream.
 * @module
 */
import type { ZSocket } from "./socket.ts";

async function pump(from: ZSocket, to: ZSocket, done: { v: boolean }): Promise<void> {
  while (!done.v && !from.closed && !to.closed) {
    await from.readable();
    let m: Buffer[] | null;
    while (!done.v && !to.closed && (m = from.tryReceive()) !== null) {
      try {
        if (!to.trySend(m)) await to.send(m);
      } catch {
        if (to.closed) break; // dropped message; keep going otherwise
      }
    }
  }
  done.v = true;
}

/** Resolves once either socket has been closed. */
export async function proxy(frontend: ZSocket, backend: ZSocket): Promise<void> {
  const done = { v: false };
  const a = pump(frontend, backend, done);
  const b = pump(backend, frontend, done);
  await Promise.race([a, b]);
  done.v = true;
}
