/**
 * The one error the client's session layer throws, and the message ids it
 * makes: small enough to share with every module of the client without
 * pulling in the session and its sockets.
 *
 * @module
 */
import { randomBytes } from "node:crypto";

/** A refused request, no server reachable, a reply that says nothing, or a command that does not fit the state. */
export class ClientError extends Error {
  override name = "ClientError";
  constructor(
    /** `unsupported`: the server refused because it does not offer the service. */
    readonly code: "refused" | "unsupported" | "unreachable" | "bad-reply" | "state",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A fresh message id: 16 hex digits. */
export function newMessageId(): string {
  return randomBytes(8).toString("hex");
}
