/**
 * Test harness for replication, through the system's own interfaces: each
 * server's `status` (count, version vector, digest, live peers) on the
 * peer port the harness gave it, and `history` through the broker.
 *
 * Replicas agree when their digests, counts and vectors are equal. The
 * digest sums a hash of every visible message, origin, seq and Lamport
 * clock included, and history is ordered by (clock, origin, seq): the same
 * digest means the same messages in the same order on each.
 *
 * @module
 */
import { expect } from "bun:test";
import { HISTORY_MAX_LIMIT } from "../../shared/wire/protocol.ts";
import type { TestClient } from "./chat-client.ts";
import type { Cluster } from "./cluster.ts";
import type { ServerStatus } from "../../shared/server/status-service.ts";
import { eventually } from "./eventually.ts";

/** A channel's history, or a private conversation's. */
export type Conversation = { channel: string } | { user: string; peer: string };

/** One message as `history` lists it. */
export interface HistoryMessage {
  id: string;
  message: string;
  clock: number;
  timestamp: number;
  user?: string;
  channel?: string;
  src?: string;
  dst?: string;
}

/** The named servers' statuses, asked at once. */
export function statuses(cluster: Cluster, names: readonly string[]): Promise<ServerStatus[]> {
  return Promise.all(names.map((n) => cluster.status(n)));
}

/**
 * Polls the named servers until all report the same digest, count and
 * vector, at least `minCount` messages, and (if given) `peers` live peers
 * each; returns their statuses.
 */
export function waitConverged(
  cluster: Cluster,
  names: readonly string[],
  opts: { minCount?: number; peers?: number; timeoutMs?: number } = {},
): Promise<ServerStatus[]> {
  return eventually(
    async () => {
      const all = await statuses(cluster, names);
      const seen = all.map((s) => ({ name: s.name, count: s.count, digest: s.digest, vector: s.vector, peers: s.peers.length }));
      const first = all[0]!;
      const agree = all.every((s) => s.digest === first.digest && s.count === first.count && Bun.deepEquals(s.vector, first.vector));
      const enough = first.count >= (opts.minCount ?? 0);
      const linked = opts.peers === undefined || all.every((s) => s.peers.length === opts.peers);
      if (!(agree && enough && linked)) throw new Error(JSON.stringify(seen));
      return all;
    },
    { timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 200, what: "replicas converging" },
  );
}

/** Waits until every named server lists exactly `peers` live peers. */
export async function waitPeers(cluster: Cluster, names: readonly string[], peers: number, timeoutMs = 15_000): Promise<void> {
  await eventually(
    async () => {
      const all = await statuses(cluster, names);
      if (!all.every((s) => s.peers.length === peers)) throw new Error(JSON.stringify(all.map((s) => [s.name, s.peers])));
    },
    { timeoutMs, what: `every server seeing ${peers} live peers` },
  );
}

/** One `history` request; throws unless it is answered OK. */
export async function historyPage(client: TestClient, q: Conversation, limit: number, before?: string): Promise<HistoryMessage[]> {
  const r = await client.request("history", { ...q, limit, ...(before === undefined ? {} : { before }) });
  if (r.data.status !== "OK") throw new Error(`history ${JSON.stringify(q)}: ${JSON.stringify(r.data)}`);
  return r.data.messages as HistoryMessage[];
}

/** A whole conversation through the broker, oldest first, paged back with `before` the oldest id so far. */
export async function readHistory(client: TestClient, q: Conversation, pageSize = HISTORY_MAX_LIMIT): Promise<HistoryMessage[]> {
  const all: HistoryMessage[] = [];
  for (;;) {
    const page = await historyPage(client, q, pageSize, all[0]?.id);
    all.unshift(...page);
    if (page.length < pageSize) return all;
  }
}

/**
 * A conversation's ids as every server lists them: the whole history read
 * through the broker, then its newest page asked twice per server (the
 * broker hands requests to the servers in turn), each answer expected to
 * be the same.
 */
export async function historyEverywhere(client: TestClient, q: Conversation, servers: number): Promise<string[]> {
  const all = await readHistory(client, q);
  const newest = all.slice(-HISTORY_MAX_LIMIT);
  for (let i = 0; i < 2 * servers; i++) expect(await historyPage(client, q, HISTORY_MAX_LIMIT)).toEqual(newest);
  return all.map((m) => m.id);
}
