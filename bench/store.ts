/**
 * Store measurement: inserts N messages (default 1,000,000) in group-commit
 * batches, then pages back through one channel's whole history 100 at a
 * time. Prints inserts/s, single-commit (fsync per message) rate, peak RSS
 * and paging time.
 *
 * Usage: bun bench/store.ts [N] [batch]
 *
 * @module
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../shared/store/sqlite.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = Number(process.argv[3] ?? 1000);
const CHANNELS = 10;
const dir = mkdtempSync(join(tmpdir(), "store-bench-"));
let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const mb = (b: number) => (b / 1024 / 1024).toFixed(1) + " MB";

try {
  const s = openStore(dir, "s1");
  let clock = 0;
  s.appendLocal({ kind: "login", user: "ana", timestamp: Date.now(), clock: ++clock });
  for (let c = 0; c < CHANNELS; c++) s.appendLocal({ kind: "channel", channel: `ch${c}`, timestamp: Date.now(), clock: ++clock });

  // fsync per message: what an unbatched server gets.
  const single = Math.min(500, N);
  let t0 = performance.now();
  for (let i = 0; i < single; i++) {
    s.appendLocal({ kind: "publish", user: "ana", channel: `ch${i % CHANNELS}`, message: `single ${i}`, timestamp: Date.now(), clock: ++clock });
  }
  const singleRate = single / ((performance.now() - t0) / 1000);
  console.log(`one commit per message: ${single} in ${(performance.now() - t0).toFixed(0)} ms = ${singleRate.toFixed(0)}/s`);

  t0 = performance.now();
  const text = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(2); // ~110 bytes
  for (let done = single; done < N; ) {
    const n = Math.min(BATCH, N - done);
    s.transaction(() => {
      for (let i = 0; i < n; i++) {
        const k = done + i;
        s.appendLocal({ kind: "publish", user: "ana", channel: `ch${k % CHANNELS}`, message: `${k} ${text}`, timestamp: Date.now(), clock: ++clock });
      }
    });
    done += n;
    if ((done / BATCH) % 50 === 0) sample();
    if (done % 100_000 < BATCH) console.log(`  ${done} inserted, rss ${mb(process.memoryUsage().rss)}`);
  }
  const secs = (performance.now() - t0) / 1000;
  sample();
  console.log(`batched (${BATCH}/commit): ${N - single} in ${secs.toFixed(1)} s = ${((N - single) / secs).toFixed(0)}/s`);
  console.log(`count ${s.count()}, digest ${s.digest()}, db file ${mb(statSync(join(dir, "chat.sqlite")).size)}`);

  // Page back through one channel, 100 at a time.
  t0 = performance.now();
  let pages = 0;
  let seen = 0;
  let page = s.history({ channel: "ch3" }, 100);
  while (page.length > 0) {
    pages++;
    seen += page.length;
    page = s.history({ channel: "ch3" }, 100, page[0]!.id);
    if (pages % 100 === 0) sample();
  }
  const pageMs = performance.now() - t0;
  console.log(`paged ch3: ${seen} messages in ${pages} pages, ${pageMs.toFixed(0)} ms (${(pageMs / pages).toFixed(2)} ms/page)`);
  s.close();
  sample();
  console.log(`peak rss ${mb(peak)} (maxRSS ${mb(process.resourceUsage().maxRSS * 1024)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
