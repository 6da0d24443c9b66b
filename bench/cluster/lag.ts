/**
 * Replication lag, seen from outside: polls every server's version vector
 * (`status`) in a loop. For each server's own origin, the time its own
 * entry first reaches seq s is when s was accepted; the time the smallest
 * entry over all servers first reaches s is when s was stored everywhere.
 * Lag = the difference. Resolution is one polling round (a few ms).
 *
 * @module
 */
import { statusOf, type BenchServer } from "./servers.ts";

export class LagProbe {
  private running = false;
  private loop: Promise<void> | null = null;
  /** Per origin: seq → first time accepted / first time held by all. */
  private accepted = new Map<string, Map<number, number>>();
  private everywhere = new Map<string, Map<number, number>>();
  private lastOwn = new Map<string, number>();
  private lastAll = new Map<string, number>();
  rounds = 0;

  constructor(private readonly servers: BenchServer[]) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const sts = await Promise.all(this.servers.map((s) => statusOf(s, 2000).catch(() => null)));
        const t = performance.now();
        if (sts.every((s) => s !== null)) {
          this.rounds++;
          for (const s of sts) {
            for (const [origin, seq] of Object.entries(s!.vector)) {
              if (!origin.startsWith(`${s!.name}@`)) continue;
              this.mark(this.accepted, this.lastOwn, origin, seq, t);
              this.mark(this.everywhere, this.lastAll, origin, Math.min(...sts.map((x) => x!.vector[origin] ?? 0)), t);
            }
          }
        }
        await Bun.sleep(2);
      }
    })();
  }

  async stop(): Promise<number[]> {
    this.running = false;
    await this.loop;
    const lags: number[] = [];
    for (const [origin, acc] of this.accepted) {
      const all = this.everywhere.get(origin);
      for (const [seq, t] of acc) {
        const u = all?.get(seq);
        if (u !== undefined) lags.push(u - t);
      }
    }
    return lags;
  }

  /** Stamps seqs (last, upTo] of `origin` with time t (the first round that saw them). */
  private mark(into: Map<string, Map<number, number>>, last: Map<string, number>, origin: string, upTo: number, t: number): void {
    const from = last.get(origin);
    last.set(origin, Math.max(upTo, from ?? 0));
    if (from === undefined) return; // first sight: seqs before the probe started are not timed
    let m = into.get(origin);
    if (!m) into.set(origin, (m = new Map()));
    for (let s = from + 1; s <= upTo; s++) m.set(s, t);
  }
}
