/**
 * Where a server's time goes under load: a 3-server cluster where every
 * server runs under `bun --cpu-prof --cpu-prof-md`, 16 publishing clients
 * for a few seconds, then SIGTERM; the profiles land in the given
 * directory (one `.md` per server, the hottest functions first).
 *
 * Usage: bun bench/cluster/profile.ts <out-dir> [seconds=6] [clients=16] [--min-replicas N]
 * @module
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Cluster } from "../../test/helpers/cluster.ts";
import { freePort, RoleProcess, ROOT } from "../../test/helpers/process.ts";
import { LamportClock } from "../../shared/cluster/lamport.ts";
import { RpcClient } from "../../shared/wire/rpc-client.ts";
import { runLoad, setupChat } from "./traffic.ts";

const out = resolve(process.argv[2] ?? "profiles");
const seconds = Number(process.argv[3] ?? 6);
const clients = Number(process.argv[4] ?? 16);
const extra = process.argv.slice(5);
mkdirSync(out, { recursive: true });
const cluster = await Cluster.start({ ref: true, brokerArgs: ["--quiet"], proxyArgs: ["--quiet"], extraArgs: ["--quiet"] });
const procs: RoleProcess[] = [];
try {
  for (const name of ["server1", "server2", "server3"]) {
    const port = await freePort();
    const p = new RoleProcess(
      ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${out}`, `--cpu-prof-name=${name}`, join(ROOT, "scripts", "server.ts"),
        ...cluster.endpointArgs(), "--name", name, "--data-dir", cluster.dataDir, "--peer", String(port), "--skew", "0", "--quiet", ...extra],
      { label: name },
    );
    procs.push(p);
    const rpc = new RpcClient({ endpoint: `tcp://127.0.0.1:${port}`, clock: new LamportClock(), timeoutMs: 1000, retries: 0, security: cluster.trust.member() });
    for (;;) {
      const r = await rpc.request("status").catch(() => null);
      if (r && (r.data.peers as string[]).length === procs.length - 1) break;
      await Bun.sleep(200);
    }
    rpc.close();
  }
  const target = { frontend: cluster.endpoint("brokerFrontend"), xpub: cluster.endpoint("proxyXpub") };
  await setupChat(target, "bench", "bench");
  const r = await runLoad(target, { user: "bench", channel: "bench", clients, seconds });
  console.log(`${(r.acked / seconds).toFixed(0)} acked/s, ${r.errors} errors; profiles in ${out}`);
} finally {
  await Promise.all(procs.map((p) => p.stop("SIGTERM", 5000)));
  await cluster.stop();
}
