/**
 * Test harness: a whole chat system on free loopback ports and a temp data
 * directory. Starts the broker, the proxy, optionally the ref, and any
 * number of servers (all with `process.execPath`), waits until each says it
 * is up, asks each server its `status` on the peer port it was given, and
 * stops everything (SIGTERM, then SIGKILL) in `stop()`. The cluster's keys
 * are made in `<data dir>/keys` before anything starts; `trust.member()`
 * gives the options a test needs to reach an internal port.
 *
 * ```ts
 * const cluster = await Cluster.start({ servers: ["server1"] });
 * afterAll(() => cluster.stop());
 * const client = cluster.client();   // TestClient on the broker and proxy
 * const s = await cluster.status("server1");
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestClient } from "./chat-client.ts";
import type { ServerStatus } from "../../shared/server/status-service.ts";
import { ControlPlane } from "./control-plane.ts";
import { ClusterTrust } from "../../shared/roles/cluster-trust.ts";
import { eventually } from "./eventually.ts";
import { freePort, ROOT, RoleProcess, spawnRole, type SpawnOptions } from "./process.ts";

export interface ClusterOptions {
  /** Server names to start (default none). */
  servers?: string[];
  /** Start `scripts/ref.ts` too (default: only if it exists and `ref` is not false). */
  ref?: boolean;
  /** Extra flags for every role. */
  extraArgs?: string[];
  /** Extra flags for the broker / the proxy only (e.g. `--quiet`). */
  brokerArgs?: string[];
  proxyArgs?: string[];
  /** ms to wait for each role to come up (default 15000). */
  readyTimeoutMs?: number;
}

export interface ClusterPorts {
  brokerFrontend: number;
  brokerBackend: number;
  proxyXsub: number;
  proxyXpub: number;
  ref: number;
}

/** Lines each role prints once it is ready. */
export const READY = {
  broker: /clients on .*servers on/,
  proxy: /publishers on .*subscribers on/,
  server: /server \S+ up/,
  ref: /reference server on/,
} as const;

export class Cluster {
  broker?: RoleProcess;
  proxy?: RoleProcess;
  ref?: RoleProcess;
  readonly servers = new Map<string, RoleProcess>();
  /** Each server's peer port (its `--peer`) from its latest start, by name. */
  readonly peerPorts = new Map<string, number>();
  /** The ref's `list` and the servers' `status`, on the cluster's ports; closed with the cluster. */
  readonly control: ControlPlane;
  private readonly extra: RoleProcess[] = [];
  private readonly clients: TestClient[] = [];

  private constructor(
    readonly ports: ClusterPorts,
    readonly dataDir: string,
    private readonly opts: ClusterOptions,
  ) {
    this.trust = ClusterTrust.load(join(dataDir, "keys"), (opts.extraArgs ?? []).includes("--open"));
    this.control = new ControlPlane(this.endpoint("ref"), undefined, this.trust.member());
  }

  /** The cluster's keys, as every role of it reads them. */
  readonly trust: ClusterTrust;

  /** Allocates ports and a data dir, then starts what `opts` asks for. */
  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const ports: ClusterPorts = {
      brokerFrontend: await freePort(),
      brokerBackend: await freePort(),
      proxyXsub: await freePort(),
      proxyXpub: await freePort(),
      ref: await freePort(),
    };
    const dir = await mkdtemp(join(tmpdir(), "bbs-test-"));
    const c = new Cluster(ports, dir, opts);
    try {
      const wantRef = opts.ref ?? false;
      await Promise.all([c.startBroker(opts.brokerArgs), c.startProxy(opts.proxyArgs), wantRef ? c.startRef() : undefined]);
      for (const name of opts.servers ?? []) await c.startServer(name);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** The endpoint flags every role gets (all five, so nothing uses a default port), and the keys. */
  endpointArgs(): string[] {
    const p = this.ports;
    return [
      "--keys-dir", join(this.dataDir, "keys"),
      "--broker-frontend", String(p.brokerFrontend),
      "--broker-backend", String(p.brokerBackend),
      "--proxy-xsub", String(p.proxyXsub),
      "--proxy-xpub", String(p.proxyXpub),
      "--ref", String(p.ref),
      ...(this.opts.extraArgs ?? []),
    ];
  }

  /** `tcp://127.0.0.1:<port>` for a cluster port. */
  endpoint(which: keyof ClusterPorts): string {
    return `tcp://127.0.0.1:${this.ports[which]}`;
  }

  /** `tcp://127.0.0.1:<port>` of a started server's peer endpoint. */
  peerEndpoint(name: string): string {
    const port = this.peerPorts.get(name);
    if (port === undefined) throw new Error(`no server ${name}`);
    return `tcp://127.0.0.1:${port}`;
  }

  /** A server's `status`, asked on the peer port the harness gave it. */
  status(name: string, timeoutMs?: number): Promise<ServerStatus> {
    return this.control.status(this.peerEndpoint(name), timeoutMs);
  }

  get readyTimeout(): number {
    return this.opts.readyTimeoutMs ?? 15_000;
  }

  async startBroker(args: string[] = []): Promise<RoleProcess> {
    this.broker = spawnRole("broker", [...this.endpointArgs(), ...args]);
    if (args.includes("--quiet")) await waitForPort(this.ports.brokerBackend, this.readyTimeout, this.broker);
    else await this.broker.waitFor(READY.broker, this.readyTimeout);
    return this.broker;
  }

  async startProxy(args: string[] = []): Promise<RoleProcess> {
    this.proxy = spawnRole("proxy", [...this.endpointArgs(), ...args]);
    if (args.includes("--quiet")) await waitForPort(this.ports.proxyXpub, this.readyTimeout, this.proxy);
    else await this.proxy.waitFor(READY.proxy, this.readyTimeout);
    return this.proxy;
  }

  /** Starts `scripts/ref.ts` (throws if it does not exist yet). */
  async startRef(args: string[] = []): Promise<RoleProcess> {
    if (!existsSync(join(ROOT, "scripts", "ref.ts"))) throw new Error("scripts/ref.ts does not exist");
    // The ref keeps its ranks in the test's own data dir, never in the checkout.
    this.ref = spawnRole("ref", [...this.endpointArgs(), "--data-dir", this.dataDir, ...args]);
    await waitForPort(this.ports.ref, this.readyTimeout, this.ref);
    return this.ref;
  }

  /**
   * Starts (or restarts, on the same data dir) a server: `--name`,
   * `--data-dir`, a free `--peer` port and `--skew 0`, then waits for its
   * "up" line.
   */
  async startServer(name: string, args: string[] = []): Promise<RoleProcess> {
    const old = this.servers.get(name);
    if (old?.running) throw new Error(`${name} is already running`);
    const peer = await freePort();
    const p = spawnRole(
      "server",
      [...this.endpointArgs(), "--name", name, "--data-dir", this.dataDir, "--peer", String(peer), "--skew", "0", ...args],
      { label: name },
    );
    this.servers.set(name, p);
    this.peerPorts.set(name, peer);
    await p.waitFor(READY.server, this.readyTimeout);
    return p;
  }

  /** Stops one server (SIGTERM) and resolves with its exit code. */
  async stopServer(name: string): Promise<number> {
    const p = this.servers.get(name);
    if (!p) throw new Error(`no server ${name}`);
    return p.stop();
  }

  /** Spawns any other role script with the cluster's endpoint flags; stopped with the cluster. */
  spawn(role: string, args: string[] = [], opts: SpawnOptions = {}): RoleProcess {
    const p = spawnRole(role, [...this.endpointArgs(), ...args], opts);
    this.extra.push(p);
    return p;
  }

  /** The real client (`scripts/client.ts`) with piped stdin; stopped with the cluster. */
  spawnClient(...args: string[]): RoleProcess {
    return this.spawn("client", args, { stdin: "pipe" });
  }

  /** A TestClient on the broker and the proxy; closed with the cluster. */
  client(timeoutMs?: number): TestClient {
    const c = new TestClient(this.endpoint("brokerFrontend"), this.endpoint("proxyXpub"), timeoutMs);
    this.clients.push(c);
    return c;
  }

  /** Every process started so far. */
  get processes(): RoleProcess[] {
    return [this.broker, this.proxy, this.ref, ...this.servers.values(), ...this.extra].filter(
      (p): p is RoleProcess => p !== undefined,
    );
  }

  /** Closes clients, stops every process, removes the data dir. */
  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    this.control.close();
    await Promise.all(this.processes.map((p) => p.stop("SIGTERM", 2000)));
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; fails at once if `proc` exits. */
export async function waitForPort(port: number, timeoutMs = 10_000, proc?: RoleProcess): Promise<void> {
  await eventually(
    async () => {
      if (proc && !proc.running) return; // reported below
      if (!(await accepts(port))) throw new Error(`nothing listening on port ${port}`);
    },
    { timeoutMs, intervalMs: 50, what: `a listener on port ${port}` },
  );
  if (proc && !proc.running) throw new Error(`${proc.label} exited: ${proc.output.slice(-10).join("\n")}`);
}

/** True if a TCP connection to 127.0.0.1:`port` opens. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => {
          s.end();
          resolve(true);
        },
        error: () => resolve(false),
        connectError: () => resolve(false),
        data: () => {},
      },
    }).catch(() => resolve(false));
  });
}
