/**
 * PUSH (RFC 30): round-robin out, waits while no peer has room; never receives.
 * @module
 */
import { ZmtpError } from "./errors.ts";
import type { Connection } from "./connection.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket, type Received } from "./socket.ts";

export class Push extends ZSocket {
  constructor(options: SocketOptions = {}) {
    super("PUSH", options);
  }

  send(frames: Frame | Frame[]): Promise<void> {
    try {
      return this.sendBlocking(this.parts(frames));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  protected handleMessage(_c: Connection, _parts: Buffer[]): void {}

  override receive(): Promise<Buffer[]> {
    return Promise.reject(new ZmtpError("EFSM", "PUSH sockets cannot receive"));
  }

  override receiveWithPeer(): Promise<Received> {
    return Promise.reject(new ZmtpError("EFSM", "PUSH sockets cannot receive"));
  }
}
