/**
 * Test helper: the real client script (`scripts/client.ts`) with piped
 * stdin, its stdout collected line by line.
 *
 * @module
 */
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..");

export class ClientProcess {
  readonly lines: string[] = [];
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  readonly exited: Promise<number>;
  private stderrText = "";
  private waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];

  constructor(args: string[]) {
    this.proc = Bun.spawn({
      cmd: [process.execPath, join(ROOT, "scripts", "client.ts"), ...args],
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.exited = this.proc.exited;
    void this.pump();
    void new Response(this.proc.stderr).text().then((t) => (this.stderrText = t));
  }

  /** Writes lines to the client's stdin. */
  send(...lines: string[]): void {
    this.proc.stdin.write(lines.map((l) => l + "\n").join(""));
    this.proc.stdin.flush();
  }

  /** Closes stdin (EOF). */
  end(): void {
    this.proc.stdin.end();
  }

  /** Stdout lines matching `re`. */
  grep(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The first stdout line at index ≥ `from` matching `re`; rejects after `timeoutMs` or at exit. */
  waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        f();
      };
      const fail = (why: string) => finish(() => reject(new Error(`client: ${why}; output:\n  ${this.lines.slice(-20).join("\n  ")}`)));
      const waiter = { re, from, resolve: (l: string) => finish(() => resolve(l)) };
      const timer = setTimeout(() => fail(`no line matching ${re} within ${timeoutMs} ms`), timeoutMs);
      void this.exited.then(() => setTimeout(() => fail(`exited before printing ${re}`), 50));
      this.waiters.push(waiter);
    });
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves with the exit code. */
  async stop(): Promise<number> {
    if (this.proc.exitCode === null) this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.exitCode === null && this.proc.kill("SIGKILL"), 3000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
    }
  }

  private async pump(): Promise<void> {
    const dec = new TextDecoder();
    let rest = "";
    for await (const chunk of this.proc.stdout) {
      rest += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        const at = this.lines.push(line) - 1;
        for (const w of [...this.waiters]) if (at >= w.from && w.re.test(line)) w.resolve(line);
      }
    }
    if (rest) this.lines.push(rest);
  }
}
