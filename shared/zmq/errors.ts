/**
 * The single error class of the ZMTP transport layer.
 *
 * Every failure the transport reports to callers (or uses internally to drop a
 * misbehaving peer) is a {@link ZmtpError} with a machine-readable `code`.
 * @module
 */

/** Error codes, named after the libzmq errno values they correspond to. */
export type ZmtpErrorCode =
  | "EPROTO" // peer violated the wire protocol
  | "EMSGSIZE" // frame or message larger than maxMessageSize
  | "EHOSTUNREACH" // ROUTER mandatory: unknown routing id
  | "EAGAIN" // timeout waiting to send or receive
  | "EFSM" // operation not allowed in the socket's current state
  | "ETERM" // socket closed
  | "EINVAL" // bad argument (endpoint, option)
  | "ECOMPAT" // incompatible peer (version, mechanism, socket type)
  | "EACCES" // authentication refused (by our authenticator, or by the server)
  | "EADDRINUSE"; // bind failed because the address is taken

/** Error raised by every layer of the ZMTP transport. */
export class ZmtpError extends Error {
  readonly code: ZmtpErrorCode;

  constructor(code: ZmtpErrorCode, message: string, cause?: unknown) {
    super(`zmtp: ${message}`, cause === undefined ? undefined : { cause });
    this.name = "ZmtpError";
    this.code = code;
  }
}

/** True if `e` is a ZmtpError (optionally with the given code). */
export function isZmtpError(e: unknown, code?: ZmtpErrorCode): e is ZmtpError {
  return e instanceof ZmtpError && (code === undefined || e.code === code);
}
