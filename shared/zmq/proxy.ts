/**
 * proxy(frontend, backend): shuttle messages both ways until either socket
 * closes (libzmq `zmq_proxy`). Works for ROUTER/DEALER and XSUB/XPUB pairs:
 * XPUB subscription messages flow to the XSUB, which forwards them upstream.
 *
 * After forwarding a batch of messages in a row, a pump lets the event
 * loop turn before it takes more, so a proxy with a backlog still runs its
 * timers and flushes, and reads its sockets in turn: what it has not taken
 * waits in the receive queue, whose high-water marks pause the senders.
 * @module
 */
import type { ZSocket } from "./socket.ts";

/** Messages forwarded in a row before the pump yields to the event loop. */
export const PROXY_BATCH = 1024;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function pump(from: ZSocket, to: ZSocket, done: { v: boolean }): Promise<void> {
  while (!done.v && !from.closed && !to.closed) {
    await from.readable();
    let m: Buffer[] | null;
    let n = 0;
    while (!done.v && !to.closed && (m = from.tryReceive()) !== null) {
      try {
        if (!to.trySend(m)) await to.send(m);
      } catch {
        if (to.closed) break; // dropped message; keep going otherwise
      }
      if (++n === PROXY_BATCH) {
        n = 0;
        await nextTurn();
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
