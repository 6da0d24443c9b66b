/**
 * The broker's and the proxy's forwarding loop: `proxy()` from the
 * transport with a tap that sees every message as it passes, so each
 * forwarded message can be logged in one line. Without a tap it is the
 * plain proxy (quiet mode costs nothing).
 *
 * Log lines show the forwarded message's own Lamport `clock` (a relay has
 * no clock of its own) and decode bodies best-effort: anything that is not
 * a `{service, data}` map shows as `<n bytes>` and is forwarded untouched.
 *
 * @module
 */
import { exitOnSignals } from "../roles/cli.ts";
import { decode } from "../wire/codec.ts";
import { isClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import { proxy, type ZSocket } from "../zmq/index.ts";
import { PROXY_BATCH } from "../zmq/proxy.ts";

/** Which way a message went: from the first socket to the second, or back. */
export type RelayDirection = "forward" | "backward";
export type Tap = (dir: RelayDirection, frames: Buffer[]) => void;

/** Hands one message on (default: `to.send`). */
export type Deliver = (to: ZSocket, frames: Buffer[]) => Promise<void> | void;
const plainSend: Deliver = (to, m) => to.send(m);

async function pump(from: ZSocket, to: ZSocket, dir: RelayDirection, tap: Tap | undefined, done: { v: boolean }, deliver = plainSend): Promise<void> {
  while (!done.v && !from.closed && !to.closed) {
    await from.readable();
    let m: Buffer[] | null;
    let n = 0;
    while (!done.v && !to.closed && (m = from.tryReceive()) !== null) {
      // As proxy() does: give the event loop a turn every batch, so a long
      // backlog is written out as it is forwarded, not at the end of it.
      if (++n % PROXY_BATCH === 0) await new Promise<void>((r) => setImmediate(r));
      try {
        tap?.(dir, m);
      } catch {
        // a logging failure never stops forwarding
      }
      try {
        await deliver(to, m);
      } catch {
        if (to.closed) break;
      }
    }
  }
  done.v = true;
}

/**
 * Forwards both ways until either socket closes; `tap` sees each message
 * first; `forward` (default: send as it is) hands on what goes from a to b.
 */
export async function relay(a: ZSocket, b: ZSocket, tap?: Tap, forward?: Deliver): Promise<void> {
  if (!tap && !forward) return proxy(a, b);
  const done = { v: false };
  await Promise.race([pump(a, b, "forward", tap, done, forward), pump(b, a, "backward", tap, done)]);
  done.v = true;
}

/** `{service, data}` if the bytes decode to one, else null. Never throws. */
export function peek(body: Uint8Array): { service: string; data: Record<string, unknown> } | null {
  try {
    const v = decode(body) as { service?: unknown; data?: unknown } | null;
    if (!v || typeof v !== "object" || typeof v.service !== "string") return null;
    const data = v.data && typeof v.data === "object" && !Array.isArray(v.data) ? (v.data as Record<string, unknown>) : {};
    return { service: v.service, data };
  } catch {
    return null;
  }
}

/** Logs one relayed body: a normal line if it decodes with a clock, an info line otherwise. */
export function logBody(log: Logger, dir: "<-" | "->", peer: string, body: Buffer[]): void {
  if (body.length !== 1) {
    log.info(`${dir} ${peer} <${body.length} frames, ${body.reduce((n, f) => n + f.length, 0)} bytes>`);
    return;
  }
  const env = peek(body[0]!);
  if (env && isClock(env.data.clock)) {
    if (dir === "<-") log.recv(peer, env, env.data.clock);
    else log.send(peer, env, env.data.clock);
  } else if (env) {
    log.info(`${dir} ${peer} ${env.service} (no clock)`);
  } else {
    log.info(`${dir} ${peer} <${body[0]!.length} bytes>`);
  }
}

/**
 * The broker's tap: requests (ROUTER → DEALER, `[id, "", body]`) log as
 * received from `client:<id>`, replies (DEALER → ROUTER) as sent to it.
 */
export function brokerTap(log: Logger): Tap {
  return (dir, frames) => {
    const id = frames[0]?.toString("hex") ?? "?";
    const split = frames.findIndex((f, i) => i > 0 && f.length === 0);
    const body = frames.slice(split < 0 ? 1 : split + 1);
    logBody(log, dir === "forward" ? "<-" : "->", `client:${id}`, body);
  };
}

/**
 * The proxy's tap: publications (XSUB → XPUB, `[topic, payload]`) log as
 * received on `pub:<topic>`; subscriptions (XPUB → XSUB, one frame
 * `0x01|0x00 + topic`) log as subscribe/unsubscribe lines.
 */
export function proxyTap(log: Logger): Tap {
  return (dir, frames) => {
    if (dir === "backward") {
      const f = frames[0];
      if (frames.length === 1 && f && f.length > 0 && (f[0] === 0 || f[0] === 1)) {
        const topic = f.subarray(1).toString("utf8");
        log.info(`${f[0] === 1 ? "subscribe" : "unsubscribe"} ${topic === "" ? "<everything>" : JSON.stringify(topic)}`);
      } else {
        log.info(`upstream message <${frames.length} frames> forwarded`);
      }
      return;
    }
    const topic = frames[0]?.toString("utf8") ?? "";
    logBody(log, "<-", `pub:${topic}`, frames.slice(1));
  };
}

/** What a relay role (broker, proxy) binds and how it describes itself. */
export interface RelayRole {
  /** The two sockets, bound to their endpoints, then relayed until closed. */
  sockets: [ZSocket, ZSocket];
  endpoints: [string, string];
  /** The start-up line, given the two bound endpoints. */
  describe: (a: string, b: string) => string;
  tap: (log: Logger) => Tap;
  /** What passes messages between the two sockets (default: relay them as they come). */
  forward?: (a: ZSocket, b: ZSocket, log: Logger, quiet: boolean) => Promise<void>;
}

/** Binds, logs the start-up line, closes on SIGTERM/SIGINT, and relays. */
export async function runRelayRole(r: RelayRole, log: Logger, quiet: boolean): Promise<void> {
  const [a, b] = r.sockets;
  await a.bind(r.endpoints[0]);
  await b.bind(r.endpoints[1]);
  log.info(r.describe(a.lastEndpoint!, b.lastEndpoint!));
  exitOnSignals(() => {
    a.close();
    b.close();
  });
  if (r.forward) await r.forward(a, b, log, quiet);
  else await relay(a, b, quiet ? undefined : r.tap(log));
}
