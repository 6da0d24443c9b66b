/**
 * The whole-cluster benchmark (`bun run bench`): ref, broker, proxy and 3
 * servers as real processes on loopback (every one `--quiet`), driven by
 * chat clients publishing to one channel with 10 subscribers listening, and
 * the same load against the reference shape (libzmq's C proxies with 3
 * pyzmq workers that store nothing), side by side.
 *
 * Figures: acknowledged publishes/s with 1, 16 and 64 clients (replicated:
 * OK = on disk here and on one other server), the same with no replica wait
 * and with one server alone; publish→delivery and ack latency p50/p99 at a
 * fixed 1,000 msg/s; replication lag p50/p99 (accepted → stored on all);
 * failover time (coordinator killed → new announcement); 1M messages:
 * catch-up of an empty server, paging through history, server RSS; a
 * server frozen (SIGSTOP) under closed-loop load: throughput before, during
 * and after, and the longest wait; scale (cluster/scale.ts): throughput,
 * delivery p99 and proxy CPU with 0 / 2,000 / 10,000 idle subscribers, and
 * the proxy's RSS with a subscriber of 64 KiB messages that never reads;
 * security: the same closed loop with the cluster authenticated (CURVE on
 * every internal port, the default) and with `--open`, alternating.
 *
 * Usage: bun bench/cluster.ts [--quick] [--seconds N] [--records N]
 * @module
 */
import cac from "cac";
import { Cluster } from "../test/helpers/cluster.ts";
import { bigHistory, type BigResult } from "./cluster/big-history.ts";
import { measureFailover } from "./cluster/failover.ts";
import { measureFreeze, type FreezeResult } from "./cluster/freeze.ts";
import { measureScale, scaleSummary, type ScaleResult } from "./cluster/scale.ts";
import { LagProbe } from "./cluster/lag.ts";
import { startReference } from "./cluster/reference.ts";
import { closeStatus, startServer, waitPeers, type BenchServer } from "./cluster/servers.ts";
import { fmt, p50p99, rssOf } from "./cluster/stats.ts";
import { primeSubscribers, runLoad, SendTimes, setupChat, Subscribers, type LoadResult, type Target } from "./cluster/traffic.ts";

const cli = cac("bench");
cli.option("--quick", "shorter runs, 200k records");
cli.option("--seconds <n>", "seconds per throughput case");
cli.option("--records <n>", "records for the catch-up / RSS part");
cli.option("--skip <parts>", "comma-separated parts to skip: ours,nowait,norepl,single,reference,rate,failover,freeze,scale,big,security");
const { options } = cli.parse();
const quick = Boolean(options.quick);
const SECONDS = Number(options.seconds ?? (quick ? 3 : 6));
const RATE_SECONDS = quick ? 4 : 10;
const RECORDS = Number(options.records ?? (quick ? 200_000 : 1_000_000));
const SUBSCRIBERS = 10;
const CLIENTS = quick ? [1, 16] : [1, 16, 64];
const FREEZE_CLIENTS = 16;
const skip = new Set(String(options.skip ?? "").split(",").filter(Boolean));
const log = (s: string) => console.log(s);

interface Row {
  system: string;
  clients: number;
  perSecond: number;
  ackP50: number;
  ackP99: number;
  errors: number;
  deliveredPerSecond: number;
  rss?: string;
}
const rows: Row[] = [];
const rate: Record<string, { deliveryP50: number; deliveryP99: number; ackP50: number; ackP99: number; deliveries: number; expected: number }> = {};
let lag: { p50: number; p99: number; n: number } | undefined;
let failover: number[] = [];
let failoverFast: number[] = [];
let big: BigResult | undefined;
const freezes: FreezeResult[] = [];
let scale: ScaleResult | undefined;

function rowOf(system: string, clients: number, r: LoadResult, delivered: number, rss?: string): Row {
  const a = p50p99(r.ackLatencies);
  const row = { system, clients, perSecond: r.acked / r.seconds, ackP50: a.p50, ackP99: a.p99, errors: r.errors, deliveredPerSecond: delivered / r.seconds, rss };
  log(`  ${system}, ${clients} clients: ${row.perSecond.toFixed(0)} acked/s (ack p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} ms, ${r.errors} errors), ${row.deliveredPerSecond.toFixed(0)} deliveries/s${rss ? `, RSS ${rss}` : ""}`);
  rows.push(row);
  return row;
}

/** Closed-loop runs with 10 subscribers counting deliveries. */
async function throughput(system: string, target: Target, clientCounts: number[], servers: BenchServer[] = []): Promise<void> {
  const subs = new Subscribers(target, SUBSCRIBERS, "bench");
  try {
    await primeSubscribers(target, subs, "bench");
    for (const n of clientCounts) {
      const before = subs.received;
      const r = await runLoad(target, { user: "bench", channel: "bench", clients: n, seconds: SECONDS, tag: `t${n}-` });
      // Deliveries counted over the whole run (warm-up included), scaled to the measured window.
      const delivered = ((subs.received - before) * SECONDS) / (SECONDS + 1);
      const rss = servers.map((s) => fmt(rssOf(s.proc.pid)?.rssMb, 0)).join("/");
      rowOf(system, n, r, delivered, servers.length ? `${rss} MB` : undefined);
    }
  } finally {
    subs.close();
  }
}

/** Fixed 1,000 msg/s: publish→delivery latency at the subscribers, ack latency, optionally replication lag. */
async function fixedRate(system: string, target: Target, probe?: LagProbe, tag = "r"): Promise<void> {
  const subs = new Subscribers(target, SUBSCRIBERS, "bench");
  try {
    await primeSubscribers(target, subs, "bench");
    const times = new SendTimes();
    subs.timing = times;
    probe?.start();
    const r = await runLoad(target, { user: "bench", channel: "bench", clients: 8, seconds: RATE_SECONDS, rate: 1000, warmupMs: 0, times, tag });
    await Bun.sleep(300);
    subs.timing = null;
    if (probe) {
      const l = await probe.stop();
      lag = { ...p50p99(l), n: l.length };
    }
    const d = p50p99(subs.latencies);
    const a = p50p99(r.ackLatencies);
    rate[system] = { deliveryP50: d.p50, deliveryP99: d.p99, ackP50: a.p50, ackP99: a.p99, deliveries: subs.latencies.length, expected: r.acked * SUBSCRIBERS };
    log(`  ${system} at 1000 msg/s: publish→delivery p50 ${fmt(d.p50)} ms, p99 ${fmt(d.p99)} ms (${subs.latencies.length} deliveries); ack p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} ms, ${r.errors} errors`);
    if (probe) log(`  replication lag (accepted → on all 3): p50 ${fmt(lag!.p50)} ms, p99 ${fmt(lag!.p99)} ms over ${lag!.n} records, ${probe.rounds} polls`);
  } finally {
    subs.close();
  }
}

/** A cluster of `names` servers started with `args`. */
async function withCluster(names: string[], args: string[], f: (target: Target, servers: BenchServer[], cluster: Cluster) => Promise<void>, everyRole: string[] = []): Promise<void> {
  const cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--quiet", ...everyRole] });
  try {
    const servers: BenchServer[] = [];
    for (const n of names) servers.push(await startServer(cluster, n, args));
    if (names.length > 1) await waitPeers(servers, names.length - 1);
    const target = { frontend: cluster.endpoint("brokerFrontend"), xpub: cluster.endpoint("proxyXpub") };
    await setupChat(target, "bench", "bench", args.includes("--no-replication") ? 2 * names.length : 1);
    await f(target, servers, cluster);
  } finally {
    closeStatus(cluster);
    await cluster.stop();
  }
}

const started = performance.now();
log(`cluster benchmark${quick ? " (quick)" : ""}: ${SECONDS} s per case, ${SUBSCRIBERS} subscribers, 1000 msg/s for ${RATE_SECONDS} s, ${RECORDS} records`);
const THREE = ["server1", "server2", "server3"];

if (!skip.has("ours") || !skip.has("rate") || !skip.has("failover")) {
  log("ours: 3 servers, replicated (OK once on disk here and on 1 other server)");
  await withCluster(THREE, [], async (target, servers, cluster) => {
    if (!skip.has("ours")) await throughput("ours, replicated", target, CLIENTS, servers);
    // Latency first, undisturbed; then the lag in a run of its own, since
    // the probe polls every server's status hundreds of times a second.
    if (!skip.has("rate")) await fixedRate("ours", target);
    if (!skip.has("rate")) await fixedRate("ours (with lag probe)", target, new LagProbe(servers), "lag");
    if (!skip.has("failover")) {
      failover = await measureFailover(cluster, quick ? 1 : 3);
      log(`  failover (coordinator killed → new announcement): ${failover.map((t) => fmt(t, 0)).join(", ")} ms`);
    }
  });
}
if (!skip.has("failover")) {
  log("ours: failover with --heartbeat-ms 500 (the ref drops a server after 3 missed heartbeats)");
  await withCluster(THREE, [], async (_t, _s, cluster) => {
    failoverFast = await measureFailover(cluster, quick ? 1 : 3);
    log(`  failover, 500 ms heartbeats: ${failoverFast.map((t) => fmt(t, 0)).join(", ")} ms`);
  }, ["--heartbeat-ms", "500"]);
}
if (!skip.has("freeze")) {
  log(`ours: one of 3 servers frozen (SIGSTOP) for ${SECONDS + 1} s under closed-loop load, ${FREEZE_CLIENTS} clients`);
  for (const coordinator of [false, true]) {
    await withCluster(THREE, [], async (target, servers) => {
      const f = await measureFreeze(target, servers, { clients: FREEZE_CLIENTS, seconds: SECONDS, coordinator, tag: coordinator ? "fc" : "ff" });
      freezes.push(f);
      log(`  ${f.frozen}${f.coordinator ? " (coordinator)" : ""} frozen: ${f.before.toFixed(0)} acked/s before, ${f.firstSecond.toFixed(0)} in its first second, ${f.during.toFixed(0)} after that, ${f.after.toFixed(0)} after SIGCONT; per second ${f.perSecond.join("/")} frozen, ${f.perSecondAfter.join("/")} from SIGCONT; longest wait ${f.waitBefore} / ${f.waitDuring} / ${f.waitAfter} ms; ${f.errors} errors, ${f.timeouts} timeouts`);
    });
  }
}
if (!skip.has("nowait")) {
  log("ours: 3 servers, no replica wait (--min-replicas 0: OK once on disk here; replication continues behind)");
  await withCluster(THREE, ["--min-replicas", "0"], (target, servers) => throughput("ours, no replica wait", target, [16], servers));
}
if (!skip.has("norepl")) {
  log("ours: 3 servers without replication (--no-replication: each keeps only what it accepts)");
  await withCluster(THREE, ["--no-replication"], (target, servers) => throughput("ours, no replication", target, [16], servers));
}
if (!skip.has("single")) {
  log("ours: 1 server alone (nothing to replicate)");
  await withCluster(["server1"], [], (target, servers) => throughput("ours, 1 server", target, [16], servers));
}
if (!skip.has("reference")) {
  log("reference: libzmq C proxies + 3 pyzmq REP workers storing nothing");
  const ref = await startReference(3);
  try {
    await throughput("reference", ref.target, CLIENTS);
    if (!skip.has("rate")) await fixedRate("reference", ref.target);
  } finally {
    await ref.stop();
  }
}
if (!skip.has("scale")) {
  log("ours: scale, 3 servers with 0, 2000 and 10000 idle subscribers on other topics; then a subscriber that never reads 64 KiB messages");
  await withCluster(THREE, [], async (target, _servers, cluster) => {
    const o = { counts: [0, 2000, 10_000], seconds: SECONDS, rateSeconds: RATE_SECONDS, subscribers: SUBSCRIBERS, bigMessages: quick ? 1000 : 3000 };
    scale = await measureScale(cluster, target, o, log);
  });
}
if (!skip.has("security")) {
  log("security: 3 servers, authenticated (CURVE between servers, ref, broker and proxy) and --open, alternating, twice");
  for (let round = 1; round <= 2; round++) {
    for (const open of [false, true]) {
      const system = open ? "open (--open)" : "authenticated";
      await withCluster(THREE, [], (target, servers) => throughput(system, target, CLIENTS, servers), open ? ["--open"] : []);
    }
  }
}
if (!skip.has("big")) {
  log(`${RECORDS} messages: catch-up, paging, RSS`);
  big = await bigHistory(RECORDS, log);
}

// ---- summary ---------------------------------------------------------------
const find = (system: string, clients: number) => rows.find((r) => r.system === system && r.clients === clients);
const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : "n/a");
log("\n## Throughput (closed loop, 10 subscribers)\n");
log("| system | clients | acked publishes/s | ack p50 ms | ack p99 ms | errors | deliveries/s | server RSS MB |");
log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const r of rows) log(`| ${r.system} | ${r.clients} | ${r.perSecond.toFixed(0)} | ${fmt(r.ackP50)} | ${fmt(r.ackP99)} | ${r.errors} | ${r.deliveredPerSecond.toFixed(0)} | ${r.rss ?? ""} |`);
log("\n## Fixed 1,000 msg/s (8 publishing clients, 10 subscribers)\n");
log("| system | publish→delivery p50 ms | p99 ms | ack p50 ms | ack p99 ms | deliveries timed / expected |");
log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [k, v] of Object.entries(rate)) log(`| ${k} | ${fmt(v.deliveryP50)} | ${fmt(v.deliveryP99)} | ${fmt(v.ackP50)} | ${fmt(v.ackP99)} | ${v.deliveries} / ${v.expected} |`);
if (freezes.length) {
  log("\n## One of 3 servers frozen (SIGSTOP), closed loop\n");
  log("| frozen | clients | before /s | first second /s | during /s | after /s | during ÷ before | after ÷ before | longest wait before / during / after ms |");
  log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const f of freezes) log(`| ${f.frozen}${f.coordinator ? " (coordinator)" : ""} | ${f.clients} | ${f.before.toFixed(0)} | ${f.firstSecond.toFixed(0)} | ${f.during.toFixed(0)} | ${f.after.toFixed(0)} | ${ratio(f.during, f.before)} | ${ratio(f.after, f.before)} | ${f.waitBefore} / ${f.waitDuring} / ${f.waitAfter} |`);
}
if (scale) {
  log("\n## Scale: idle subscribers on other topics (16 clients closed loop; 1,000 msg/s for latency)\n");
  for (const l of scaleSummary(scale)) log(l);
}
log("\n## Targets\n");
const ours16 = find("ours, replicated", 16);
const best = Math.max(...rows.filter((r) => r.system === "ours, replicated").map((r) => r.perSecond), 0);
const nowait = find("ours, no replica wait", 16);
const single = find("ours, 1 server", 16);
const norepl = find("ours, no replication", 16);
const ref16 = find("reference", 16);
const check = (ok: boolean | undefined) => (ok === undefined ? "n/a" : ok ? "met" : "NOT met");
log(`- acknowledged publishes/s ≥ 5000: best ${best.toFixed(0)}/s (16 clients ${fmt(ours16?.perSecond, 0)}) → ${check(best ? best >= 5000 : undefined)}`);
log(`- publish→delivery p99 < 5 ms at 1000 msg/s: ${fmt(rate.ours?.deliveryP99)} ms → ${check(rate.ours ? rate.ours.deliveryP99 < 5 : undefined)}`);
log(`- replication costs at most half the throughput: with/without replication (3 servers, 16 clients) ${ratio(ours16?.perSecond, norepl?.perSecond)} → ${check(ours16 && norepl ? ours16.perSecond >= norepl.perSecond / 2 : undefined)}; for scale: vs no replica wait ${ratio(ours16?.perSecond, nowait?.perSecond)}, vs 1 server alone ${ratio(ours16?.perSecond, single?.perSecond)}`);
log(`- replication lag p99 < 100 ms: ${fmt(lag?.p99)} ms → ${check(lag ? lag.p99 < 100 : undefined)}`);
log(`- failover < 3 s (default 1 s heartbeats): ${failover.map((t) => fmt(t, 0)).join(", ") || "n/a"} ms → ${check(failover.length ? failover.every((t) => t < 3000) : undefined)}`);
log(`- failover < 3 s (--heartbeat-ms 500): ${failoverFast.map((t) => fmt(t, 0)).join(", ") || "n/a"} ms → ${check(failoverFast.length ? failoverFast.every((t) => t < 3000) : undefined)}`);
if (freezes.length) {
  const worstRatio = Math.min(...freezes.map((f) => f.during / f.before));
  const worstWait = Math.max(...freezes.map((f) => f.waitDuring));
  log(`- a frozen server costs at most 10 % after its first second: during ÷ before ${freezes.map((f) => ratio(f.during, f.before)).join(", ")} → ${check(worstRatio >= 0.9)}`);
  log(`- no client waits longer than about 1 s: longest wait during a freeze ${worstWait} ms → ${check(worstWait <= 1100)}`);
}
if (big) {
  log(`- catch-up of ${big.records} records < 60 s: ${big.catchUpSeconds.map((s) => fmt(s)).join(", ")} s → ${check(big.catchUpSeconds.every((s) => s < 60))}`);
  log(`- server RSS < 150 MB with ${big.records} stored: ${big.rss.map((r) => `${r.name} ${fmt(r.rssMb, 0)} (peak ${fmt(r.peakMb, 0)})`).join(", ")} MB → ${check(big.rss.every((r) => r.peakMb < 150))}`);
  log(`- paging ${big.pagedMessages} messages (${big.pages} pages of 1000): ${fmt(big.pageSeconds)} s`);
}
if (!skip.has("security")) {
  log("\n## Authenticated ÷ open (acked publishes/s, mean of the runs)\n");
  const mean = (system: string, n: number) => {
    const r = rows.filter((x) => x.system === system && x.clients === n);
    return r.length ? r.reduce((a, x) => a + x.perSecond, 0) / r.length : undefined;
  };
  for (const n of CLIENTS) {
    const [a, o] = [mean("authenticated", n), mean("open (--open)", n)];
    log(`- ${n} clients: ${fmt(a, 0)} vs ${fmt(o, 0)} → ${ratio(a, o)} (target ≥ 0.8×: ${check(a && o ? a / o >= 0.8 : undefined)})`);
  }
}
log("\n## Ours / reference\n");
for (const n of CLIENTS) log(`- ${n} clients: ${ratio(find("ours, replicated", n)?.perSecond, find("reference", n)?.perSecond)} of the reference's acked/s`);
if (rate.ours && rate.reference) log(`- publish→delivery p99 at 1000 msg/s: ours ${fmt(rate.ours.deliveryP99)} ms vs ${fmt(rate.reference.deliveryP99)} ms (${ratio(rate.ours.deliveryP99, rate.reference.deliveryP99)})`);
if (ref16 && ours16) log(`- 16 clients ack p99: ours ${fmt(ours16.ackP99)} ms vs ${fmt(ref16.ackP99)} ms`);
log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
