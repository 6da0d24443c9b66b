/**
 * A frozen server under closed-loop load: acknowledged publishes/s before,
 * during and after a SIGSTOP of one of three servers, and the longest any
 * publish waited (first send to OK, retries included). The load is the test
 * harness's TimedLoad (each client one publish in flight, retrying with
 * the same id). "During" leaves out the freeze's first second, which is
 * when the broker notices (a server silent for 750 ms leaves its rotation);
 * that second is given on its own. "After" starts 2 s after SIGCONT, once
 * the woken server has caught up with what it missed (per-second counts
 * from SIGCONT on show that too).
 *
 * @module
 */
import { TimedLoad } from "../../test/helpers/timed-load.ts";
import { statusOf, type BenchServer } from "./servers.ts";
import type { Target } from "./traffic.ts";

export interface FreezeResult {
  /** Which server was frozen, and whether it was the coordinator. */
  frozen: string;
  coordinator: boolean;
  clients: number;
  /** Acknowledged publishes/s. */
  before: number;
  firstSecond: number;
  during: number;
  after: number;
  /** Acknowledgements in each second of the freeze, and from SIGCONT on. */
  perSecond: number[];
  perSecondAfter: number[];
  /** Longest wait (ms) of a publish answered before, during (first second included) and after the freeze. */
  waitBefore: number;
  waitDuring: number;
  waitAfter: number;
  errors: number;
  timeouts: number;
}

/** After SIGCONT, the time the woken server is given to catch up before "after" is measured. */
const AFTER_SETTLE_MS = 2000;

export interface FreezeSpec {
  clients: number;
  /** Seconds of each phase (the freeze gets one more, its first). */
  seconds: number;
  /** Freeze the coordinator rather than a follower. */
  coordinator: boolean;
  tag: string;
}

/** Waits until every server names the same coordinator, which says it leads; returns its name. */
async function agreedCoordinator(servers: BenchServer[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(servers.map((s) => statusOf(s).catch(() => null)));
    const c = all[0]?.coordinator;
    if (c && all.every((s) => s?.coordinator === c && s.isCoordinator === (s.name === c))) return c;
    if (Date.now() > deadline) throw new Error(`no agreed coordinator: ${JSON.stringify(all.map((s) => s?.coordinator))}`);
    await Bun.sleep(100);
  }
}

/** Runs one freeze; the server is running again (SIGCONT) when it returns. */
export async function measureFreeze(target: Target, servers: BenchServer[], spec: FreezeSpec): Promise<FreezeResult> {
  const leader = await agreedCoordinator(servers);
  const pick = spec.coordinator ? servers.find((s) => s.name === leader)! : servers.find((s) => s.name !== leader)!;
  const load = await new TimedLoad(target.frontend, target.xpub, { tag: spec.tag, workers: spec.clients, timeoutMs: 5000 }).start();
  const ms = spec.seconds * 1000;
  try {
    await load.until(spec.clients);
    await Bun.sleep(1000); // warm-up
    const b0 = Date.now();
    await Bun.sleep(ms);
    const f0 = Date.now();
    pick.proc.proc.kill("SIGSTOP");
    try {
      await Bun.sleep(ms + 1000);
    } finally {
      pick.proc.proc.kill("SIGCONT");
    }
    const f1 = Date.now();
    // The woken server catches up with what it missed; "after" starts once it had 2 s for that.
    await Bun.sleep(AFTER_SETTLE_MS + ms);
    const a0 = f1 + AFTER_SETTLE_MS;
    const a1 = Date.now();
    const rate = (from: number, to: number) => (load.ackedBetween(from, to) * 1000) / (to - from);
    const seconds = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / 1000) }, (_, k) => load.ackedBetween(from + k * 1000, from + (k + 1) * 1000));
    return {
      frozen: pick.name,
      coordinator: pick.name === leader,
      clients: spec.clients,
      before: rate(b0, f0),
      firstSecond: rate(f0, f0 + 1000),
      during: rate(f0 + 1000, f1),
      after: rate(a0, a1),
      perSecond: seconds(f0, f1),
      perSecondAfter: seconds(f1, a1),
      waitBefore: load.longestWait(b0, f0),
      waitDuring: load.longestWait(f0, f1 + 1000),
      waitAfter: load.longestWait(a0, a1),
      errors: load.errors,
      timeouts: load.timeouts,
    };
  } finally {
    await load.stop();
  }
}
