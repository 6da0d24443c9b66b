/**
 * PULL (RFC 30): fair-queued in; never sends.
 * @module
 */
import { ZmtpError } from "./errors.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket } from "./socket.ts";

export class Pull extends ZSocket {
  constructor(options: SocketOptions = {}) {
    super("PULL", options);
  }

  send(_frames: Frame | Frame[]): Promise<void> {
    return Promise.reject(new ZmtpError("EFSM", "PULL sockets cannot send"));
  }
}
