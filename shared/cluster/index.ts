/**
 * Cluster logic shared by the reference server and the chat servers: the
 * reference registry, the Bully election, Berkeley/Cristian clock
 * synchronisation and the offset wall clock. All pure (no sockets, no
 * timers); the role scripts drive them from their event loops.
 * @module
 */
export { ClusterError, isClusterError, type ClusterErrorCode } from "./errors.ts";
export { WallClock, type WallClockOptions } from "./wall-clock.ts";
export {
  berkeleyRound,
  cristianCorrection,
  type BerkeleyOptions,
  type BerkeleyResult,
  type ClockAdjustment,
  type ClockReading,
  type CristianResult,
  type CristianSample,
  type DiscardReason,
} from "./berkeley.ts";
export { Bully, type BullyAction, type BullyOptions, type BullyPeer, type BullyState } from "./bully.ts";
export {
  RefRegistry,
  checkAddress,
  checkServerName,
  type RefRegistryOptions,
  type RegisteredServer,
} from "./ref-registry.ts";
