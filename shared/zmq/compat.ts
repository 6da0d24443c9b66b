/**
 * Socket types and which pairs may talk (RFC 23 §"The Socket Types" / RFC 28-31).
 * @module
 */

export type SocketType =
  | "REQ" | "REP" | "DEALER" | "ROUTER" | "PUB" | "SUB" | "XPUB" | "XSUB" | "PUSH" | "PULL" | "PAIR";

const TABLE: Record<SocketType, readonly SocketType[]> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  XPUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XSUB: ["PUB", "XPUB"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
  PAIR: ["PAIR"],
};

/** True if a socket of type `ours` may accept a peer announcing `theirs`. */
export function isCompatible(ours: SocketType, theirs: string): boolean {
  return (TABLE[ours] as readonly string[]).includes(theirs);
}
