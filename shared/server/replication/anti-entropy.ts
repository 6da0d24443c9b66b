/**
 * Anti-entropy (pull): a server compares version vectors with a peer and
 * fetches, page by page, every record it is missing, so a server that was
 * down, or starts with an empty disk, catches up the whole history while
 * the others keep serving.
 *
 * Peer services (on every server):
 * - `vector` → `{vector, origin}`: per origin, the highest seq held
 *   contiguously; and the answering server's own origin.
 * - `fetch {origin, after, limit}` → `{records}`: that origin's records with
 *   seq > after, ascending, at most `limit` and about MAX_BATCH_BYTES.
 *
 * @module
 */
import type { RpcClient } from "../../wire/rpc-client.ts";
import type { ChatRecord, Store } from "../../store/store.ts";
import type { ServerNode } from "../node.ts";
import { chunk, MAX_BATCH_BYTES, MAX_BATCH_RECORDS, parseFetch, parsePage, parseVector, ReplicationError } from "./wire.ts";

/** Registers `vector` and `fetch` on the node's peer endpoint. */
export function servePullServices(node: ServerNode, store: Store, maxPage = MAX_BATCH_RECORDS): (() => void)[] {
  const vector = node.peerService("vector", () => ({ vector: store.vector(), origin: store.serverName }));
  const fetch = node.peerService("fetch", (data) => {
    const { origin, after, limit } = parseFetch(data, maxPage);
    const page = chunk(store.since(origin, after, limit), limit, MAX_BATCH_BYTES)[0] ?? [];
    return { records: page };
  });
  return [vector, fetch];
}

export interface PullOptions {
  /** Records per page asked for (default MAX_BATCH_RECORDS). */
  pageSize?: number;
  /** ms to wait for one reply (default 5000). */
  timeoutMs?: number;
  /** Stores a page (in one transaction); returns nothing. */
  apply: (records: ChatRecord[]) => void;
  /** Told the peer's vector as soon as it is known. */
  onVector?: (vector: Record<string, number>, origin: string | undefined) => void;
  /** False once the caller is stopping: the pull ends after the current page. */
  running?: () => boolean;
  /** This server's name, sent with the vector request so that a peer that does not list us yet looks again. */
  name?: string;
}

export interface PullResult {
  /** The peer's vector at the start. */
  theirs: Record<string, number>;
  /** Records received (new or not). */
  received: number;
}

/** Throws ReplicationError if a reply is an error reply. */
function checkReply(service: string, data: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!data || data.status === "erro") {
    throw new ReplicationError(`${service} refused: ${String(data?.description ?? data?.message ?? "no data")}`);
  }
  return data;
}

/** One anti-entropy exchange with one peer: fetch everything it holds that `store` lacks. */
export async function pullFrom(store: Store, client: RpcClient, opts: PullOptions): Promise<PullResult> {
  const pageSize = opts.pageSize ?? MAX_BATCH_RECORDS;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const running = opts.running ?? (() => true);
  const v = await client.request("vector", opts.name === undefined ? {} : { name: opts.name }, timeoutMs);
  const data = checkReply("vector", v.data);
  const theirs = parseVector(data.vector);
  opts.onVector?.(theirs, typeof data.origin === "string" && data.origin.length > 0 ? data.origin : undefined);
  let received = 0;
  for (const [origin, upTo] of Object.entries(theirs)) {
    let mine = store.vector()[origin] ?? 0;
    while (mine < upTo && running()) {
      const r = await client.request("fetch", { origin, after: mine, limit: pageSize }, timeoutMs);
      const page = parsePage(checkReply("fetch", r.data));
      if (page.length === 0) break;
      received += page.length;
      opts.apply(page);
      const now = store.vector()[origin] ?? 0;
      if (now <= mine) break; // the page closed no gap: give up on this origin until the next round
      mine = now;
    }
  }
  return { theirs, received };
}
