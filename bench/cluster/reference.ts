/**
 * Starts the reference shape (see reference.py): the C request proxy, the C
 * publication proxy and 3 pyzmq workers, each its own process on free
 * loopback ports. Its frontend and XPUB take the same load as our cluster.
 *
 * @module
 */
import { join } from "node:path";
import { freePort, RoleProcess } from "../../test/helpers/process.ts";
import type { Target } from "./traffic.ts";

const PY = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "reference.py");

export interface Reference {
  target: Target;
  workers: RoleProcess[];
  stop(): Promise<void>;
}

export async function startReference(workers = 3): Promise<Reference> {
  const [front, back, xsub, xpub] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const ep = (p: number) => `tcp://127.0.0.1:${p}`;
  const procs: RoleProcess[] = [];
  const spawn = (label: string, ...args: string[]) => {
    const p = new RoleProcess([SCRIPT, ...args], { label, executable: PY });
    procs.push(p);
    return p;
  };
  try {
    await spawn("rr-proxy", "rr-proxy", ep(front), ep(back)).waitFor(/ready/);
    await spawn("ps-proxy", "ps-proxy", ep(xsub), ep(xpub)).waitFor(/ready/);
    const ws = Array.from({ length: workers }, (_, i) => spawn(`worker${i}`, "worker", ep(back), ep(xsub)));
    for (const w of ws) await w.waitFor(/ready/);
    return {
      target: { frontend: ep(front), xpub: ep(xpub) },
      workers: ws,
      stop: async () => void (await Promise.all(procs.map((p) => p.stop("SIGKILL", 500)))),
    };
  } catch (e) {
    await Promise.all(procs.map((p) => p.stop("SIGKILL", 500)));
    throw e;
  }
}
