/**
 * Pure-TypeScript ZeroMQ (ZMTP 3.1 over TCP / unix sockets) for Bun,
 * wire-compatible with libzmq 4.3. API shaped after zeromq.js v6.
 * @module
 */
export { ZmtpError, isZmtpError, type ZmtpErrorCode } from "./errors.ts";
export { DEFAULT_HIGH_WATER_MARK_BYTES, type Frame, type SocketOptions } from "./options.ts";
export { ZSocket, type Received } from "./socket.ts";
export type { SecurityOptions } from "./security.ts";
export type { Authenticator, AuthRequest, AuthDecision, PeerInfo, MechanismName } from "./auth.ts";
export { SocketEvents, type SocketEventMap, type SocketEventName } from "./events.ts";
export { z85Encode, z85Decode } from "./z85.ts";
export {
  curveKeyPair,
  curvePublicKey,
  formatKeyFile,
  parseKeyFile,
  readKeyFile,
  writeKeyFile,
  type CurveKey,
  type CurveKeyPair,
  type KeyFile,
} from "./curve-keys.ts";
export { Request } from "./req.ts";
export { Reply } from "./rep.ts";
export { Dealer } from "./dealer.ts";
export { Router, type RouterOptions } from "./router.ts";
export { Publisher, XPublisher, DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_MAX_TOPIC_LENGTH, type PublisherOptions, type XPublisherOptions } from "./pub.ts";
export { SubscriptionIndex, type IndexChange } from "./subscription-index.ts";
export { Subscriptions } from "./subscriptions.ts";
export { Subscriber, XSubscriber } from "./sub.ts";
export { Push } from "./push.ts";
export { Pull } from "./pull.ts";
export { proxy } from "./proxy.ts";
export { isCompatible, type SocketType } from "./compat.ts";
export { encodeGreeting, parseGreeting, checkGreetingPrefix, GREETING_SIZE, type Greeting } from "./greeting.ts";
export { FrameDecoder, encodeFrame, writeHeader, headerSize, FLAG_MORE, FLAG_LONG, FLAG_COMMAND } from "./frame.ts";
export { parseCommand, commandFrame, readyFrame, type Command } from "./command.ts";
export { parseEndpoint, type Endpoint } from "./endpoint.ts";
