/**
 * The acknowledgements a server owes the origins of the records it applied
 * (`replicated` to each origin's peer endpoint): merged per peer while one
 * request to it is in flight, so a burst of pushes costs one request, not
 * one each, and a slow peer never has more than one waiting.
 *
 * @module
 */
import type { RpcClient } from "../../wire/rpc-client.ts";
import { MAX_ACK_RANGES, mergeRanges, type SeqRange } from "./wire.ts";

interface PendingAck {
  name: string;
  origin: string;
  ranges: SeqRange[];
}

export class AckSender {
  private readonly out = new Map<string, PendingAck>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly o: {
      /** This server's name, the `from` of each ack. */
      from: string;
      client: (name: string, address: string) => RpcClient;
      timeoutMs: number;
      running: () => boolean;
    },
  ) {}

  /** Owes `origin`'s server at `address` the seqs in `ranges`. */
  queue(address: string, name: string, origin: string, ranges: SeqRange[]): void {
    let entry = this.out.get(address);
    if (!entry || entry.origin !== origin) {
      entry = { name, origin, ranges: [] };
      this.out.set(address, entry);
    }
    mergeRanges(entry.ranges, ranges);
    if (entry.ranges.length > MAX_ACK_RANGES) entry.ranges.splice(0, entry.ranges.length - MAX_ACK_RANGES);
    this.pump(address);
  }

  private pump(address: string): void {
    if (!this.o.running() || this.inFlight.has(address)) return;
    const entry = this.out.get(address);
    if (!entry) return;
    this.out.delete(address);
    this.inFlight.add(address);
    this.o
      .client(entry.name, address)
      .request("replicated", { from: this.o.from, origin: entry.origin, ranges: entry.ranges }, this.o.timeoutMs)
      .catch(() => {}) // the origin is gone or slow: its next sync reads our vector instead
      .finally(() => {
        this.inFlight.delete(address);
        this.pump(address);
      });
  }
}
