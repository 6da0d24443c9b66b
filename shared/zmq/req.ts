/**
 * REQ (RFC 28): strict send/receive alternation, round-robin out, an empty
 * delimiter frame before the body; replies come only from the peer the
 * request went to and must start with the delimiter (else dropped).
 * @module
 */
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket, type Incoming } from "./socket.ts";

const EMPTY = Buffer.alloc(0);

export class Request extends ZSocket {
  private awaiting = false;
  private target: Connection | null = null;
  private replied = false;

  constructor(options: SocketOptions = {}) {
    super("REQ", options);
  }

  send(frames: Frame | Frame[]): Promise<void> {
    try {
      const parts = this.parts(frames);
      if (this.awaiting) throw new ZmtpError("EFSM", "REQ: cannot send again before receiving the reply");
      this.awaiting = true;
      this.replied = false;
      this.target = null;
      return this.sendBlocking([EMPTY, ...parts], (c) => (this.target = c)).catch((e) => {
        this.awaiting = false;
        throw e;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  protected handleMessage(c: Connection, parts: Buffer[]): void {
    if (!this.awaiting || this.replied || c !== this.target) return;
    if (parts.length < 2 || parts[0]!.length !== 0) return; // malformed reply
    this.replied = true;
    this.deliver(c, parts);
  }

  protected unwrap(item: Incoming): Buffer[] {
    this.awaiting = false;
    this.target = null;
    return item.msg.slice(1);
  }
}
