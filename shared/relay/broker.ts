/**
 * The broker's sockets around its routing state machine (balancer.ts): a
 * ROUTER for clients (REQ or DEALER) and a ROUTER for servers (REP or
 * DEALER, ours or anyone's; {@link ServerSide}), so that each request
 * goes to one known server and a frozen one can be routed around. Every
 * forwarded request and reply is logged in one line, as the other relay
 * does.
 *
 * Our servers heartbeat with a one-frame message (BROKER_HEARTBEAT in
 * protocol.ts); other servers need not.
 *
 * @module
 */
import type { Logger } from "../roles/log.ts";
import { encode } from "../wire/codec.ts";
import { ERROR_SERVICE, errorReply } from "../wire/protocol.ts";
import { readClock } from "../wire/tolerant.ts";
import { Router, type RouterOptions } from "../zmq/index.ts";
import { Balancer, type BalancerAction, type BalancerOptions } from "./balancer.ts";
import { brokerTap, peek } from "./relay.ts";

/**
 * The broker's server-side socket: a ROUTER (each message tagged with the
 * peer it came from, each send routed to one peer) that names itself
 * DEALER in the handshake. ZeroMQ lets a REP talk only to REQ and DEALER
 * peers, so a plain REP server (another team's) refuses a ROUTER, and
 * libzmq's REP refuses it from its own side too; DEALER and REP servers
 * alike accept a DEALER. On the wire the two send and receive the same
 * frames: only the name in the handshake differs.
 */
export class ServerSide extends Router {
  constructor(options: RouterOptions = {}) {
    super(options, "DEALER");
  }
}

/** How often the broker looks for servers gone quiet. */
const TICK_MS = 100;

export interface BrokerOptions extends BalancerOptions {
  log: Logger;
  /** Log every forwarded message (default true). */
  tap?: boolean;
}

/** Runs until either socket closes. */
export async function runBroker(frontend: Router, backend: Router, opts: BrokerOptions): Promise<void> {
  const lb = new Balancer(opts);
  const log = opts.log;
  const tap = opts.tap === false ? null : brokerTap(log);
  const offs = [
    backend.events.on("handshake", (ev) => {
      if (ev.routingId) act(lb.serverUp(ev.routingId.toString("latin1"), Date.now()));
      log.info(`server connected from ${ev.peer.address}:${ev.peer.port}`);
    }),
    frontend.events.on("disconnect", (ev) => {
      if (ev.error) log.error(`client ${ev.peer.address}:${ev.peer.port} dropped: ${ev.error.message}`);
    }),
    backend.events.on("disconnect", (ev) => {
      if (ev.routingId) act(lb.serverDown(ev.routingId.toString("latin1"), Date.now()));
      log.info(`server at ${ev.peer.address}:${ev.peer.port} disconnected`);
    }),
  ];
  const timer = setInterval(() => act(lb.tick(Date.now())), TICK_MS);

  function act(actions: BalancerAction[]): void {
    for (const a of actions) {
      try {
        if (a.type === "to-server") backend.trySend([Buffer.from(a.server, "latin1"), ...a.frames]);
        else if (a.type === "to-client") {
          tap?.("backward", a.frames);
          frontend.trySend(a.frames);
        } else if (a.type === "refuse") {
          const reply = refusal(a.body, a.reason);
          log.send(`client:${a.client[0]?.toString("hex") ?? "?"}`, reply, reply.data.clock);
          frontend.trySend([...a.client, ...(a.delimited ? [Buffer.alloc(0)] : []), encode(reply)]);
        } else log.info(a.text);
      } catch (e) {
        if (!frontend.closed && !backend.closed) log.error(`broker: ${(e as Error).message}`);
      }
    }
  }

  const fromClients = (async () => {
    for await (const frames of frontend) {
      tap?.("forward", frames);
      act(lb.request(frames, Date.now()));
    }
  })();
  const fromServers = (async () => {
    for await (const frames of backend) {
      if (frames.length < 2) continue;
      act(lb.fromServer(frames[0]!.toString("latin1"), frames.slice(1), Date.now()));
    }
  })();
  try {
    await Promise.race([fromClients, fromServers]);
  } finally {
    clearInterval(timer);
    for (const off of offs) off();
  }
}

/** The broker's own answer when no server can take a request: an `erro` reply of the request's service. */
function refusal(body: Buffer[], reason: string) {
  const req = body.length === 1 ? peek(body[0]!) : null;
  const clock = (readClock(req?.data.clock) ?? 0) + 1;
  return errorReply(req?.service ?? ERROR_SERVICE, reason, clock);
}
