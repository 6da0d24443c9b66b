/**
 * A view of the cluster: asks the ref `list`, then every live server its
 * `status` peer service, and prints one row per server — rank, peer
 * address, coordinator mark, clock offset against the coordinator (measured
 * over the network, half the round trip compensated), record count,
 * version vector and history digest. Refreshes every second; `--once`
 * prints once, `--json` prints one JSON document per refresh.
 * @module
 */
import cac from "cac";
import kleur from "kleur";
import { die } from "../shared/roles/cli.ts";
import { registerEndpointOptions, resolveEndpoints } from "../shared/roles/endpoints.ts";
import { numberFlag } from "../shared/roles/flags.ts";
import { LamportClock } from "../shared/cluster/lamport.ts";
import { RpcClient } from "../shared/wire/rpc-client.ts";
import { parseList } from "../shared/server/membership.ts";
import type { PeerInfo } from "../shared/server/node.ts";

const cli = registerEndpointOptions(cac("status"));
cli.option("--once", "print once and exit");
cli.option("--json", "print JSON instead of a table");
cli.option("--interval <ms>", "refresh period in ms (default 1000)");
cli.option("--timeout <ms>", "how long to wait for each answer in ms (default 1000)");
cli.help();
const { options } = cli.parse();
if (options.help) process.exit(0);

/** One server as the view shows it. */
interface Row extends PeerInfo {
  reachable: boolean;
  error?: string;
  coordinator?: string | null;
  isCoordinator?: boolean;
  /** Wall-clock offset from the server's host clock, as it reports. */
  offset?: number;
  /** Estimated offset of its clock from the status tool's clock (ms). */
  skew?: number;
  /** Estimated offset against the coordinator's clock (ms). */
  vsCoordinator?: number | null;
  rttMs?: number;
  count?: number;
  vector?: Record<string, number>;
  digest?: string;
}

const clock = new LamportClock();
let timeoutMs = 1000;
const clients = new Map<string, RpcClient>();
const client = (endpoint: string, name: string) => {
  let c = clients.get(endpoint);
  if (!c) clients.set(endpoint, (c = new RpcClient({ endpoint, clock, peerName: name, timeoutMs, retries: 0 })));
  return c;
};

async function snapshot(refEndpoint: string): Promise<{ ref: string; servers: Row[]; error?: string }> {
  let list: PeerInfo[] | null;
  try {
    list = parseList((await client(refEndpoint, "ref").request("list")).data.list);
    if (!list) throw new Error("malformed list");
  } catch (e) {
    return { ref: refEndpoint, servers: [], error: `ref ${refEndpoint}: ${(e as Error).message}` };
  }
  const rows = await Promise.all(
    list.map(async (p): Promise<Row> => {
      if (!p.address) return { ...p, reachable: false, error: "no peer address" };
      const sentAt = Date.now();
      try {
        const d = (await client(p.address, p.name).request("status")).data as Record<string, unknown>;
        const receivedAt = Date.now();
        if (d.status === "erro") return { ...p, reachable: true, error: String(d.description) };
        const rtt = receivedAt - sentAt;
        return {
          ...p,
          reachable: true,
          coordinator: d.coordinator as string | null,
          isCoordinator: d.isCoordinator === true,
          offset: d.offset as number,
          skew: (d.time as number) + rtt / 2 - receivedAt,
          rttMs: rtt,
          count: d.count as number,
          vector: d.vector as Record<string, number>,
          digest: d.digest as string,
        };
      } catch (e) {
        return { ...p, reachable: false, error: (e as Error).message };
      }
    }),
  );
  const coord = rows.find((r) => r.isCoordinator && r.skew !== undefined);
  for (const r of rows) r.vsCoordinator = coord && r.skew !== undefined ? r.skew - coord.skew! : null;
  return { ref: refEndpoint, servers: rows };
}

function table(s: Awaited<ReturnType<typeof snapshot>>): string {
  const lines = [`cluster via ref ${s.ref}  ${new Date().toLocaleTimeString()}`];
  if (s.error) return [...lines, kleur.red(s.error)].join("\n");
  if (s.servers.length === 0) return [...lines, "no live servers"].join("\n");
  const head = ["name", "rank", "address", "coord", "vs coord", "records", "digest", "vector"];
  const body = s.servers.map((r) => [
    r.name,
    String(r.rank),
    r.address ?? "-",
    r.isCoordinator ? "*" : r.reachable ? (r.coordinator ?? "?") : "-",
    r.vsCoordinator == null ? "-" : `${r.vsCoordinator >= 0 ? "+" : ""}${r.vsCoordinator.toFixed(0)} ms`,
    r.count === undefined ? "-" : String(r.count),
    r.digest ? r.digest.slice(0, 12) : "-",
    r.error ? kleur.red(r.error) : Object.entries(r.vector ?? {}).map(([k, v]) => `${k}:${v}`).join(" "),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(width[i]!) : c)).join("  ");
  const digests = new Set(s.servers.filter((r) => r.digest).map((r) => r.digest));
  const verdict = digests.size <= 1 ? kleur.green("replicas agree") : kleur.yellow(`${digests.size} different digests`);
  return [...lines, kleur.bold(fmt(head)), ...body.map(fmt), verdict].join("\n");
}

try {
  const ref = resolveEndpoints(options, "connect").ref;
  const interval = numberFlag("interval", options.interval, 1000, 1);
  timeoutMs = numberFlag("timeout", options.timeout, 1000, 1);
  const tty = Boolean(process.stdout.isTTY) && !options.once && !options.json;
  kleur.enabled = Boolean(process.stdout.isTTY);
  for (;;) {
    const s = await snapshot(ref);
    const out = options.json ? JSON.stringify(s) : table(s);
    process.stdout.write((tty ? "\x1b[2J\x1b[H" : "") + out + "\n");
    if (options.once) {
      for (const c of clients.values()) c.close();
      process.exit(s.error ? 1 : 0);
    }
    await Bun.sleep(interval);
  }
} catch (e) {
  die("status", e);
}
