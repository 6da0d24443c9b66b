/**
 * REP (RFC 28): fair-queued requests; receive() returns the body while the
 * envelope (every frame up to and including the empty delimiter) is kept and
 * prepended to the reply, which goes back to the requesting peer.
 * @module
 */
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { Frame, SocketOptions } from "./options.ts";
import { ZSocket, type Incoming } from "./socket.ts";

export class Reply extends ZSocket {
  private envelope: Buffer[] | null = null;
  private replyTo: Connection | null = null;

  constructor(options: SocketOptions = {}) {
    super("REP", options);
  }

  protected handleMessage(c: Connection, parts: Buffer[]): void {
    if (parts.findIndex((p) => p.length === 0) < 0) return; // no delimiter: malformed
    this.deliver(c, parts);
  }

  protected unwrap(item: Incoming): Buffer[] {
    const k = item.msg.findIndex((p) => p.length === 0);
    this.envelope = item.msg.slice(0, k + 1);
    this.replyTo = item.from;
    return item.msg.slice(k + 1);
  }

  send(frames: Frame | Frame[]): Promise<void> {
    try {
      const parts = this.parts(frames);
      if (!this.envelope) throw new ZmtpError("EFSM", "REP: send without a pending request");
      const c = this.replyTo;
      const env = this.envelope;
      this.envelope = null;
      this.replyTo = null;
      if (c && c.state === "ready") c.send(env.concat(parts)); // requester gone: reply dropped
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
