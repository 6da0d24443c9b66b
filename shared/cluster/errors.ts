/**
 * The single error class of the cluster layer (reference registry, election,
 * clock synchronisation).
 * @module
 */

/** Machine-readable reasons a cluster operation was refused. */
export type ClusterErrorCode =
  | "bad-name" // server name empty, too long, control chars, padded with whitespace
  | "bad-address" // peer endpoint address not a sane string
  | "bad-input" // a number or option that is not finite / in range
  | "full" // the registry refuses more distinct server names
  | "storage"; // the registry's database could not be opened or used

/** Error raised by every module in `shared/cluster/`. */
export class ClusterError extends Error {
  readonly code: ClusterErrorCode;

  constructor(code: ClusterErrorCode, message: string, cause?: unknown) {
    super(`cluster: ${message}`, cause === undefined ? undefined : { cause });
    this.name = "ClusterError";
    this.code = code;
  }
}

/** True if `e` is a ClusterError (optionally with the given code). */
export function isClusterError(e: unknown, code?: ClusterErrorCode): e is ClusterError {
  return e instanceof ClusterError && (code === undefined || e.code === code);
}
