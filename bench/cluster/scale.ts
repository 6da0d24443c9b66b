/**
 * The scale part of the cluster benchmark: one cluster, measured with 0,
 * 2,000 and 10,000 idle subscribers on the proxy (other topics, in child
 * processes of 2,500 sockets: `ulimit -n` is per process), side by side:
 * closed-loop publish throughput (16 clients, 10 subscribers on the
 * channel), publish→delivery p50/p99 at a fixed 1,000 msg/s, and the
 * proxy's CPU per publish. Then the proxy's memory with a subscriber of
 * 64 KiB messages that never reads: RSS before, after and at its peak,
 * against the bytes offered to it.
 *
 * The proxy needs a descriptor per subscriber; children inherit the
 * bench's open-file limit, which Bun cannot raise: counts above it are
 * skipped, and the run says so.
 *
 * @module
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { Subscriber } from "../../shared/zmq/index.ts";
import { TestClient } from "../../test/helpers/chat-client.ts";
import type { Cluster } from "../../test/helpers/cluster.ts";
import { fmt, p50p99, rssOf } from "./stats.ts";
import { primeSubscribers, runLoad, SendTimes, setupChat, Subscribers, type Target } from "./traffic.ts";

export interface ScaleRow {
  idle: number;
  /** Set on the second run without idle subscribers, after they are gone. */
  again?: boolean;
  ackedPerSecond: number;
  ackP99: number;
  deliveryP50: number;
  deliveryP99: number;
  deliveries: number;
  expected: number;
  /** Proxy CPU (user + system) at 1,000 msg/s per publish delivered to the channel's subscribers, ms. */
  proxyCpuMs: number;
  /** The same CPU as a share of one core over the run. */
  proxyCpuShare: number;
}

export interface StuckReaderResult {
  messages: number;
  offeredMb: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** Highest RSS sampled (every 50 ms) while publishing. */
  peakMb: number;
}

export interface ScaleResult {
  rows: ScaleRow[];
  stuck?: StuckReaderResult;
  /** The open-file limit the roles inherit, and the counts it ruled out. */
  fileLimit: number;
  skipped: number[];
}

export interface ScaleOptions {
  counts: number[];
  seconds: number;
  rateSeconds: number;
  subscribers: number;
  /** Messages of 64 KiB for the never-reading subscriber (0: skip that step). */
  bigMessages: number;
}

const PER_PROCESS = 2500;

/** The soft open-file limit children of this process get. */
function fileLimit(): number {
  const r = Bun.spawnSync(["sh", "-c", "ulimit -n"]);
  const n = Number(r.stdout.toString().trim());
  return Number.isFinite(n) ? n : Infinity;
}

/** CPU time (user + system) of a process so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
}

/** Idle subscriber processes, grown to a total count. */
class IdleSubscribers {
  private readonly procs: ReturnType<typeof Bun.spawn>[] = [];
  count = 0;

  constructor(private readonly xpub: string) {}

  async growTo(total: number): Promise<void> {
    const waits: Promise<void>[] = [];
    while (this.count < total) {
      const n = Math.min(PER_PROCESS, total - this.count);
      const p = Bun.spawn([process.execPath, join(import.meta.dir, "idle-subscribers.ts"), this.xpub, String(n), `idle${this.procs.length}-`], { stdout: "pipe", stderr: "inherit" });
      this.procs.push(p);
      this.count += n;
      waits.push(
        (async () => {
          const text = await readLine(p.stdout as ReadableStream<Uint8Array>);
          if (!text.startsWith("ready")) throw new Error(`idle subscribers did not start: ${text}`);
        })(),
      );
    }
    await Promise.all(waits);
    await Bun.sleep(2000); // their subscriptions travel on through the proxy to the servers
  }

  stop(): void {
    for (const p of this.procs) p.kill();
  }
}

async function readLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += new TextDecoder().decode(value);
    const nl = text.indexOf("\n");
    if (nl >= 0) {
      reader.releaseLock();
      return text.slice(0, nl);
    }
  }
}

async function measureRow(target: Target, proxyPid: number, idle: number, o: ScaleOptions, log: (s: string) => void, again = false): Promise<ScaleRow> {
  const subs = new Subscribers(target, o.subscribers, "bench");
  try {
    await primeSubscribers(target, subs, "bench");
    // ids must differ between runs: a repeated id is stored (and delivered) once
    const tag = `s${idle}${again ? "b" : ""}`;
    const closed = await runLoad(target, { user: "bench", channel: "bench", clients: 16, seconds: o.seconds, tag: `${tag}-` });
    const times = new SendTimes();
    subs.timing = times;
    const cpu0 = cpuMs(proxyPid);
    const t0 = performance.now();
    const r = await runLoad(target, { user: "bench", channel: "bench", clients: 8, seconds: o.rateSeconds, rate: 1000, warmupMs: 0, times, tag: `${tag}r-` });
    await Bun.sleep(300);
    const cpu = cpuMs(proxyPid) - cpu0;
    const wall = performance.now() - t0;
    subs.timing = null;
    const d = p50p99(subs.latencies);
    const row: ScaleRow = {
      idle,
      again,
      ackedPerSecond: closed.acked / closed.seconds,
      ackP99: p50p99(closed.ackLatencies).p99,
      deliveryP50: d.p50,
      deliveryP99: d.p99,
      deliveries: subs.latencies.length,
      expected: r.acked * o.subscribers,
      proxyCpuMs: subs.latencies.length > 0 ? cpu / (subs.latencies.length / o.subscribers) : NaN,
      proxyCpuShare: cpu / wall,
    };
    log(`  ${idle} idle subscribers${again ? " (again, once they are gone)" : ""}: ${row.ackedPerSecond.toFixed(0)} acked/s (16 clients); at 1000 msg/s publish→delivery p50 ${fmt(d.p50)} ms, p99 ${fmt(d.p99)} ms, ${row.deliveries}/${row.expected} deliveries; proxy CPU ${fmt(row.proxyCpuMs, 3)} ms per publish delivered (${(row.proxyCpuShare * 100).toFixed(0)} % of a core)`);
    return row;
  } finally {
    subs.close();
  }
}

/** Publishes `n` messages of 64 KiB to a channel one subscriber never reads; the proxy's RSS around it. */
async function stuckReader(target: Target, proxyPid: number, n: number, log: (s: string) => void): Promise<StuckReaderResult> {
  await setupChat(target, "bench", "big");
  const stuck = new Subscriber({ receiveHighWaterMark: 1, linger: 0 });
  stuck.connect(target.xpub);
  stuck.subscribe("big");
  const reader = new Subscribers(target, 1, "big");
  const clients = Array.from({ length: 4 }, () => new TestClient(target.frontend, target.xpub, 10_000));
  try {
    await primeSubscribers(target, reader, "bench");
    await Bun.sleep(500);
    const before = rssOf(proxyPid)!;
    let peak = before.rssMb;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(proxyPid)?.rssMb ?? 0)), 50);
    const text = "x".repeat(64 * 1024);
    let next = 0;
    await Promise.all(
      clients.map(async (c, w) => {
        while (next < n) {
          const i = next++;
          await c.request("publish", { user: "bench", channel: "big", message: text, id: `big${w}-${i}` }).catch(() => null);
        }
      }),
    );
    await Bun.sleep(1000);
    clearInterval(sampler);
    const after = rssOf(proxyPid)!;
    peak = Math.max(peak, after.rssMb);
    const res = { messages: n, offeredMb: (n * 64) / 1024, rssBeforeMb: before.rssMb, rssAfterMb: after.rssMb, peakMb: peak };
    log(`  never-reading subscriber, ${n} messages of 64 KiB (${fmt(res.offeredMb, 0)} MB offered to it): proxy RSS ${fmt(before.rssMb, 0)} MB before, ${fmt(after.rssMb, 0)} MB after, peak ${fmt(peak, 0)} MB while publishing; the reading subscriber got ${reader.received}`);
    return res;
  } finally {
    for (const c of clients) c.close();
    reader.close();
    stuck.close();
  }
}

/** Runs the scale part on a started cluster (the channel "bench" exists). */
export async function measureScale(cluster: Cluster, target: Target, o: ScaleOptions, log: (s: string) => void): Promise<ScaleResult> {
  const proxyPid = cluster.proxy!.pid;
  const limit = fileLimit();
  const counts = o.counts.filter((n) => n + 200 <= limit);
  const skipped = o.counts.filter((n) => !counts.includes(n));
  if (skipped.length) log(`  open-file limit ${limit}: the proxy cannot hold ${skipped.join(", ")} subscribers; raise it (ulimit -n) before the bench to measure those`);
  const idle = new IdleSubscribers(target.xpub);
  const rows: ScaleRow[] = [];
  // not measured: a warm-up, so that the first row does not pay for a cold cluster
  await runLoad(target, { user: "bench", channel: "bench", clients: 16, seconds: Math.min(o.seconds, 4), tag: "swarm-" });
  try {
    for (const n of counts) {
      await idle.growTo(n);
      rows.push(await measureRow(target, proxyPid, n, o, log));
    }
  } finally {
    idle.stop();
  }
  await Bun.sleep(2000);
  // none again, after the others: the machine's drift over the run shows as the spread of the two
  if (counts.length > 1 && counts[0] === 0) rows.push(await measureRow(target, proxyPid, 0, o, log, true));
  const stuck = o.bigMessages > 0 ? await stuckReader(target, proxyPid, o.bigMessages, log) : undefined;
  return { rows, stuck, fileLimit: limit, skipped };
}

/** The summary lines: the table, the ratios to the run with no idle subscriber, the memory figures. */
export function scaleSummary(r: ScaleResult): string[] {
  const out = ["| idle subscribers | acked publishes/s (16 clients) | ack p99 ms | publish→delivery p50 ms | p99 ms | deliveries timed / expected | proxy CPU ms per publish | proxy CPU % of a core |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"];
  for (const x of r.rows) out.push(`| ${x.idle}${x.again ? " (again)" : ""} | ${x.ackedPerSecond.toFixed(0)} | ${fmt(x.ackP99)} | ${fmt(x.deliveryP50)} | ${fmt(x.deliveryP99)} | ${x.deliveries} / ${x.expected} | ${fmt(x.proxyCpuMs, 3)} | ${(x.proxyCpuShare * 100).toFixed(0)} |`);
  // the base: the runs with none, before and after (their mean)
  const none = r.rows.filter((x) => x.idle === 0);
  const mean = (f: (x: ScaleRow) => number) => none.reduce((a, x) => a + f(x), 0) / none.length;
  out.push("");
  if (none.length > 0) {
    const base = { t: mean((x) => x.ackedPerSecond), p: mean((x) => x.deliveryP99), c: mean((x) => x.proxyCpuMs) };
    if (none.length > 1) out.push(`- base (no idle subscriber, mean of the first and last runs): ${base.t.toFixed(0)} acked/s, delivery p99 ${fmt(base.p)} ms, proxy CPU ${fmt(base.c, 3)} ms per publish`);
    for (const x of r.rows) {
      if (x.idle === 0) continue;
      const t = x.ackedPerSecond / base.t;
      const p = x.deliveryP99 / base.p;
      const ok = t >= 0.8 && p <= 1.2;
      out.push(`- ${x.idle} idle ÷ none: throughput ${t.toFixed(2)}×, delivery p99 ${p.toFixed(2)}×, proxy CPU per publish ${(x.proxyCpuMs / base.c).toFixed(2)}× → within 20 %: ${ok ? "met" : "NOT met"}`);
    }
  }
  if (r.stuck) {
    const s = r.stuck;
    out.push(`- never-reading subscriber of 64 KiB messages: ${fmt(s.offeredMb, 0)} MB offered, proxy RSS ${fmt(s.rssBeforeMb, 0)} → ${fmt(s.rssAfterMb, 0)} MB (peak ${fmt(s.peakMb, 0)} MB): growth ${((s.peakMb - s.rssBeforeMb) / s.offeredMb).toFixed(2)}× of the bytes offered at the peak`);
  }
  if (r.skipped.length) out.push(`- not measured: ${r.skipped.join(", ")} idle subscribers (open-file limit ${r.fileLimit})`);
  return out;
}
