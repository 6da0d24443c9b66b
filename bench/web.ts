/**
 * The web gateway benchmark (`npm run bench:web`): a broker, a proxy and
 * one server (all `--quiet`) and the gateway (scripts/web.ts); 1,000
 * browser-protocol sessions (WebSockets) in one channel, then the same
 * load from 1,000 terminal-protocol sessions (the client's ChatSession
 * straight on the broker and proxy), each in a process of its own
 * (bench/web/load.ts). Figures: publish → delivery p50/p99/max at a fixed
 * rate to every session, the gateway's resident memory per session
 * (after all sessions are in, less before any), and the terminal clients'
 * process memory per session beside it.
 *
 * Usage: bun bench/web.ts [--sessions N] [--rate msgs/s] [--seconds N]
 * @module
 */
import cac from "cac";
import { join } from "node:path";
import { Cluster, waitForPort } from "../test/helpers/cluster.ts";
import { freePort, RoleProcess, spawnRole } from "../test/helpers/process.ts";
import { startServer } from "./cluster/servers.ts";
import { fmt, rssOf } from "./cluster/stats.ts";

const cli = cac("bench:web");
cli.option("--sessions <n>", "sessions on each side", { default: 1000 });
cli.option("--rate <n>", "messages published per second", { default: 10 });
cli.option("--seconds <n>", "seconds of publishing", { default: 10 });
const { options } = cli.parse();
const N = Number(options.sessions);
const RATE = Number(options.rate);
const SECONDS = Number(options.seconds);

interface Ready {
  sessions: number;
  warm: number;
  joinMs: number;
  rssBeforeMb: number;
  rssAfterMb: number;
}
interface Result {
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  rssEndMb: number;
}

/** Runs one load process to the end; `atReady` runs once its sessions are in, before the load. */
async function runLoad(args: string[], atReady: () => void): Promise<{ ready: Ready; result: Result }> {
  const p = new RoleProcess([join(import.meta.dir, "web", "load.ts"), "--sessions", String(N), "--rate", String(RATE), "--seconds", String(SECONDS), ...args], { stdin: "pipe", label: "load" });
  try {
    const ready = JSON.parse((await p.waitFor(/^ready /, 300_000)).slice(6)) as Ready;
    atReady();
    p.send("go");
    const result = JSON.parse((await p.waitFor(/^result /, 120_000)).slice(7)) as Result;
    return { ready, result };
  } finally {
    await p.stop();
  }
}

const cluster = await Cluster.start({ brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
try {
  await startServer(cluster, "server1");
  const port = await freePort();
  const web = spawnRole("web", [...cluster.endpointArgs(), "--web-port", String(port), "--quiet"], { label: "web" });
  await waitForPort(port, 30_000, web);
  await Bun.sleep(500);
  const idle = rssOf(web.pid)!;
  let loaded = idle;
  console.log(`gateway idle: ${fmt(idle.rssMb)} MB`);

  const ws = await runLoad(["--kind", "ws", "--url", `ws://127.0.0.1:${port}/ws`], () => (loaded = rssOf(web.pid)!));
  const peak = rssOf(web.pid)!;
  console.log(`browser protocol: ${JSON.stringify(ws)}`);
  await web.stop();

  const zmq = await runLoad(["--kind", "zmq", "--broker", cluster.endpoint("brokerFrontend"), "--proxy", cluster.endpoint("proxyXpub")], () => {});
  console.log(`terminal protocol: ${JSON.stringify(zmq)}`);

  const perSession = (mb: number) => `${fmt((mb * 1024) / N, 0)} KB`;
  const row = (name: string, r: { ready: Ready; result: Result }, rss: string) =>
    `| ${name} | ${N} | ${fmt(r.ready.joinMs / 1000)} s | ${r.result.delivered} / ${r.result.expected} | ${fmt(r.result.p50)} / ${fmt(r.result.p99)} / ${fmt(r.result.max)} ms | ${rss} |`;
  console.log(`\n${RATE} msg/s for ${SECONDS} s to every session in one channel\n`);
  console.log("| sessions | n | all logged in and joined | delivered | publish → delivery p50 / p99 / max | memory per session |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  console.log(row("browser protocol, through the gateway", ws, `gateway ${perSession(loaded.rssMb - idle.rssMb)} (RSS ${fmt(idle.rssMb)} → ${fmt(loaded.rssMb)} MB, peak ${fmt(peak.peakMb)} MB)`));
  console.log(row("terminal protocol (ChatSession)", zmq, `client process ${perSession(zmq.ready.rssAfterMb - zmq.ready.rssBeforeMb)} (RSS ${fmt(zmq.ready.rssBeforeMb)} → ${fmt(zmq.ready.rssAfterMb)} MB)`));
  console.log(`\n(the browser sessions' own process: ${perSession(ws.ready.rssAfterMb - ws.ready.rssBeforeMb)} per WebSocket client)`);
} finally {
  await cluster.stop();
}
