/**
 * What both faces of the client (full screen, tui/app.ts; piped stdin,
 * line-mode.ts) are started with, from scripts/client.ts.
 * @module
 */
import type { LogMode } from "../roles/log.ts";
import type { SocketOptions } from "../zmq/index.ts";

export interface ClientOptions {
  user?: string;
  /** The name's password (owned names): `--password` / CHAT_PASSWORD (the full-screen client also reads its config's). */
  password?: string;
  endpoints: { brokerFrontend: string; proxyXpub: string };
  /** CURVE client options for both (`--secure`: secure.ts), else none. */
  security?: SocketOptions;
  timeoutMs: number;
  retries: number;
  logMode: LogMode;
}
