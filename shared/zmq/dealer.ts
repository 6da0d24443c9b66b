/**
 * DEALER (RFC 28): round-robin out over ready peers (waits when none has
 * room), fair-queued in.
 * @module
 */
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket } from "./socket.ts";

export class Dealer extends ZSocket {
  constructor(options: SocketOptions = {}) {
    super("DEALER", options);
  }

  override trySend(parts: Buffer[]): boolean {
    return this.sendRoundRobin(parts) !== null;
  }

  send(frames: Frame | Frame[]): Promise<void> {
    try {
      return this.sendBlocking(this.parts(frames));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
