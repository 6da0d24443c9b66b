/**
 * The 1,000,000-message part of the cluster benchmark: fills one server's
 * database through the store API (batched transactions), starts it and
 * two empty servers one after the other and times each catch-up (the
 * anti-entropy pull), then pages through the whole channel history with
 * `history` requests, and reads every server's resident memory.
 *
 * @module
 */
import { join } from "node:path";
import { freshOrigin } from "../../shared/server/origin.ts";
import { openStore } from "../../shared/store/sqlite.ts";
import { HISTORY_MAX_LIMIT } from "../../shared/wire/protocol.ts";
import { Cluster } from "../../test/helpers/cluster.ts";
import { TestClient } from "../../test/helpers/chat-client.ts";
import { rssOf } from "./stats.ts";
import { closeStatus, startServer, waitCount, waitPeers, type BenchServer } from "./servers.ts";
import { runLoad, setupChat } from "./traffic.ts";

export interface BigResult {
  records: number;
  seedSeconds: number;
  /** Catch-up of an empty server from one peer, then of another from two. */
  catchUpSeconds: number[];
  pages: number;
  pagedMessages: number;
  pageSeconds: number;
  /** Per server: after catch-up + traffic + paging. */
  rss: { name: string; rssMb: number; peakMb: number }[];
}

/** Seeds `records` publishes into server1's database; returns seconds taken. */
function seed(dataDir: string, records: number): number {
  const t = performance.now();
  const store = openStore(join(dataDir, "server1"), freshOrigin("server1"));
  try {
    store.transaction(() => {
      store.appendLocal({ kind: "login", user: "ana", timestamp: Date.now(), clock: 1 });
      store.appendLocal({ kind: "channel", channel: "big", timestamp: Date.now(), clock: 2 });
    });
    for (let done = 0; done < records; ) {
      const n = Math.min(10_000, records - done);
      store.transaction(() => {
        for (let i = 0; i < n; i++) {
          const k = done + i;
          store.appendLocal({ kind: "publish", user: "ana", channel: "big", message: `seeded message number ${k}`, id: `seed-${k}`, timestamp: Date.now(), clock: 3 + k });
        }
      });
      done += n;
    }
  } finally {
    store.close();
  }
  return (performance.now() - t) / 1000;
}

export async function bigHistory(records: number, log: (s: string) => void): Promise<BigResult> {
  const cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--quiet"] });
  try {
    const seedSeconds = seed(cluster.dataDir, records);
    log(`  seeded ${records} records in ${seedSeconds.toFixed(1)} s`);
    const s1 = await startServer(cluster, "server1");
    const list: BenchServer[] = [s1];
    const catchUpSeconds: number[] = [];
    for (const name of ["server2", "server3"]) {
      const t = performance.now();
      list.push(await startServer(cluster, name));
      await waitCount(list, records, 300_000, 250);
      catchUpSeconds.push((performance.now() - t) / 1000);
      log(`  ${name} caught up ${records} records in ${catchUpSeconds.at(-1)!.toFixed(1)} s`);
    }
    await waitPeers(list, 2);
    const target = { frontend: cluster.endpoint("brokerFrontend"), xpub: cluster.endpoint("proxyXpub") };
    await setupChat(target, "ana", "big");
    await runLoad(target, { user: "ana", channel: "big", clients: 8, seconds: 3, warmupMs: 0, tag: "big" });
    // Page through the whole channel, newest first, HISTORY_MAX_LIMIT per page.
    const c = new TestClient(target.frontend, target.xpub, 30_000);
    let pages = 0;
    let paged = 0;
    const t = performance.now();
    try {
      let before: string | undefined;
      for (;;) {
        const r = await c.request("history", { channel: "big", limit: HISTORY_MAX_LIMIT, ...(before ? { before } : {}) });
        const msgs = r.data.messages as { id: string }[] | undefined;
        if (r.data.status !== "OK" || !Array.isArray(msgs)) throw new Error(`history failed: ${JSON.stringify(r.data).slice(0, 200)}`);
        pages++;
        paged += msgs.length;
        if (msgs.length < HISTORY_MAX_LIMIT) break;
        before = msgs[0]!.id;
      }
    } finally {
      c.close();
    }
    const pageSeconds = (performance.now() - t) / 1000;
    log(`  paged ${paged} messages in ${pages} pages in ${pageSeconds.toFixed(1)} s`);
    const rss = list.map((s) => ({ name: s.name, ...(rssOf(s.proc.pid) ?? { rssMb: NaN, peakMb: NaN }) }));
    return { records, seedSeconds, catchUpSeconds, pages, pagedMessages: paged, pageSeconds, rss };
  } finally {
    closeStatus(cluster);
    await cluster.stop();
  }
}
