/**
 * Test harness: a network namespace joined to the host by a veth pair, to
 * cut one process off the network for real. The pair gets addresses only
 * on its own /30 (10.231.<n>.1 on the host side, .2 inside); nothing else
 * is routed, so a process inside reaches only the host side's address.
 * `cut()` takes the host side down (packets are dropped, connections stay
 * open and stall, as in a real partition), `heal()` brings it back.
 * Needs root and `ip` (iproute2); `NetNs.check()` says clearly what is
 * missing.
 *
 * ```ts
 * NetNs.removeStale("bbst");               // left over by a crashed run
 * const ns = NetNs.create("bbst");
 * afterAll(() => ns.remove());
 * new RoleProcess(ns.exec(process.execPath, "scripts/server.ts", "--host", ns.hostAddress), { executable: ns.ip });
 * ```
 *
 * @module
 */

/** The `ip` program. */
const IP = Bun.which("ip") ?? "/usr/sbin/ip";

function ip(...args: string[]): string {
  const r = Bun.spawnSync([IP, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

/** True if a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class NetNs {
  readonly ip = IP;

  private constructor(
    /** The namespace's name. */
    readonly name: string,
    /** The veth end on the host, and the one inside. */
    readonly hostLink: string,
    readonly nsLink: string,
    /** Addresses of the two ends. */
    readonly hostAddress: string,
    readonly nsAddress: string,
  ) {}

  /** Throws, saying what is missing, unless this process can create namespaces. */
  static check(): void {
    if (process.getuid?.() !== 0) throw new Error(`network namespaces need root; this test runs as uid ${process.getuid?.()}`);
    try {
      ip("netns", "list");
    } catch (e) {
      throw new Error(`'ip netns' does not work here (install iproute2, allow CAP_SYS_ADMIN): ${(e as Error).message}`);
    }
  }

  /** Deletes namespaces and links named `prefix` + the pid of a process that is gone (a crashed run's). */
  static removeStale(prefix: string): void {
    const stale = (name: string | undefined): name is string => {
      const pid = name?.startsWith(prefix) ? /^[hn]?(\d+)$/.exec(name.slice(prefix.length))?.[1] : undefined;
      return pid !== undefined && !alive(Number(pid));
    };
    for (const line of ip("netns", "list").split("\n")) {
      const name = line.split(" ")[0];
      if (stale(name)) ip("netns", "del", name);
    }
    for (const line of ip("-o", "link", "show").split("\n")) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (!stale(name)) continue;
      try {
        ip("link", "del", name);
      } catch {
        // gone with its peer, deleted just before
      }
    }
  }

  /**
   * A namespace `<prefix><pid>` and a veth pair (`<prefix>h<pid>` on the
   * host, `<prefix>n<pid>` inside) on 10.231.<n>.0/30, with an <n> that no
   * address here uses yet. `prefix` must leave room: interface names are at most 15 bytes.
   */
  static create(prefix: string): NetNs {
    const id = String(process.pid);
    const [name, hostLink, nsLink] = [`${prefix}${id}`, `${prefix}h${id}`, `${prefix}n${id}`];
    if (hostLink.length > 15) throw new Error(`interface name ${hostLink} is longer than 15 bytes`);
    const used = ip("-4", "-o", "addr", "show");
    let net = "";
    for (let i = 0; i < 64 && (net === "" || used.includes(`${net}.`)); i++) net = `10.231.${Math.floor(Math.random() * 256)}`;
    const at = (k: number) => `${net}.${k}`;
    const ns = new NetNs(name, hostLink, nsLink, at(1), at(2));
    try {
      ip("netns", "add", name);
      ip("link", "add", hostLink, "type", "veth", "peer", "name", nsLink);
      ip("link", "set", nsLink, "netns", name);
      ip("addr", "add", `${ns.hostAddress}/30`, "dev", hostLink);
      ip("link", "set", hostLink, "up");
      ip("netns", "exec", name, "ip", "addr", "add", `${ns.nsAddress}/30`, "dev", nsLink);
      ip("netns", "exec", name, "ip", "link", "set", nsLink, "up");
      ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
    } catch (e) {
      ns.remove();
      throw e;
    }
    return ns;
  }

  /** Arguments for `ip` that run `cmd` inside the namespace (spawn them with `executable: ns.ip`). */
  exec(...cmd: string[]): string[] {
    return ["netns", "exec", this.name, ...cmd];
  }

  /** Partition: the host side goes down, nothing crosses. */
  cut(): void {
    ip("link", "set", this.hostLink, "down");
  }

  heal(): void {
    ip("link", "set", this.hostLink, "up");
  }

  /** Deletes the namespace and the pair; never throws (a clean-up). */
  remove(): void {
    for (const args of [["netns", "del", this.name], ["link", "del", this.hostLink]]) {
      try {
        ip(...args);
      } catch {
        // already gone (deleting the namespace takes the pair with it)
      }
    }
  }
}
