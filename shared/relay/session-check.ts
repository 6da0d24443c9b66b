/**
 * The proxy's check of a subscriber's PLAIN credentials: user name and
 * session token, asked of the servers through the broker (`session
 * {user, token}`, answered `sucesso` for a live session of that
 * registered user). A refusal, a timeout or a broken reply all refuse,
 * and so does a check asked while MAX_PENDING wait: a stranger opening
 * PLAIN connections in a loop costs the servers a bounded load.
 * @module
 */
import { LamportClock } from "../cluster/lamport.ts";
import type { Logger } from "../roles/log.ts";
import { RpcClient } from "../wire/rpc-client.ts";
import { readStatus } from "../wire/tolerant.ts";
import type { SocketOptions } from "../zmq/index.ts";

const MAX_PENDING = 64;

export class SessionCheck {
  private readonly rpc: RpcClient;
  private pending = 0;

  /** `security`: how to reach the broker (the cluster's keys, so that tokens never cross the network in clear). */
  constructor(brokerFrontend: string, private readonly log: Logger, security: SocketOptions = {}) {
    this.rpc = new RpcClient({ endpoint: brokerFrontend, clock: new LamportClock(), peerName: "broker", timeoutMs: 2000, retries: 1, security });
  }

  /** The user name when the token is one of its sessions, else null. */
  async check(user: string, token: string): Promise<string | null> {
    if (this.pending >= MAX_PENDING) {
      this.log.error(`refused a subscriber as '${user}': ${MAX_PENDING} credential checks already waiting`);
      return null;
    }
    this.pending++;
    try {
      const reply = await this.rpc.request("session", { user, token });
      if (readStatus(reply.data.status) === "ok") return user;
      this.log.error(`refused a subscriber as '${user}': ${String(reply.data.description ?? "no live session")}`);
    } catch (e) {
      this.log.error(`could not check a subscriber as '${user}': ${(e as Error).message}`);
    } finally {
      this.pending--;
    }
    return null;
  }

  close(): void {
    this.rpc.close();
  }
}
