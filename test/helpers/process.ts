/**
 * Test harness: one spawned process (a role, `bun scripts/<role>.ts …`, or a
 * foreign peer) with its stdout/stderr captured line by line, optionally
 * fed on stdin, waits on output lines, and a stop that sends SIGTERM, then
 * SIGKILL after a grace period.
 *
 * @module
 */
import { createServer } from "node:net";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** The repository root (scripts live in `<root>/scripts`). */
export const ROOT = join(import.meta.dir, "..", "..");

/** A free TCP port on 127.0.0.1 (bound once on port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnOptions {
  /** Label used in error texts (default the script name). */
  label?: string;
  env?: Record<string, string | undefined>;
  /** Working directory (default the repository root). */
  cwd?: string;
  /** Program to run (default bun, `process.execPath`), e.g. /usr/bin/python3 for a foreign peer. */
  executable?: string;
  /** "pipe" to write to its stdin with `send`/`end` (default "ignore"). */
  stdin?: "pipe" | "ignore";
}

/** Which output a wait or a search looks at ("any": both, in arrival order). */
export type Stream = "stdout" | "stderr" | "any";

/** A running (or finished) role process. */
export class RoleProcess {
  readonly label: string;
  readonly proc: Subprocess<"ignore" | "pipe", "pipe", "pipe">;
  /** Every stdout line so far. */
  readonly stdout: string[] = [];
  /** Every stderr line so far. */
  readonly stderr: string[] = [];
  /** Resolves with the exit code (a signal death gives 128 + signal number or null code). */
  readonly exited: Promise<number>;
  private readonly all: string[] = [];
  private waiters: { re: RegExp; stream: Stream; resolve: (l: string) => void }[] = [];

  constructor(argv: string[], opts: SpawnOptions = {}) {
    this.label = opts.label ?? argv[0] ?? "process";
    this.proc = Bun.spawn({
      cmd: [opts.executable ?? process.execPath, ...argv],
      cwd: opts.cwd ?? ROOT,
      // No colours; a Python peer leaves no bytecode beside test/peers/py_common.py.
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", PYTHONDONTWRITEBYTECODE: "1", ...opts.env },
      stdin: opts.stdin ?? "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    void this.pump(this.proc.stdout, this.stdout, "stdout");
    void this.pump(this.proc.stderr, this.stderr, "stderr");
    this.exited = this.proc.exited;
  }

  /** Both streams' lines, in the order they arrived. */
  get output(): readonly string[] {
    return this.all;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Resolves with the first line matching `re` (already printed or still to
   * come) on `stream` (default either), skipping that stream's first `from`
   * lines; rejects after `timeoutMs` or if the process exits first, quoting
   * its last lines.
   */
  waitFor(re: RegExp, timeoutMs = 10_000, stream: Stream = "any", from = 0): Promise<string> {
    const seen = this.lines(stream).slice(from).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const w = { re, stream, resolve: (l: string) => done(() => resolve(l)) };
      const timer = setTimeout(() => done(() => reject(this.failure(`no line matching ${re} within ${timeoutMs} ms`))), timeoutMs);
      void this.exited.then(() => setTimeout(() => done(() => reject(this.failure(`exited before printing a line matching ${re}`))), 50));
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        f();
      };
      this.waiters.push(w);
    });
  }

  /** Lines matching `re` on `stream` (default either). */
  grep(re: RegExp, stream: Stream = "any"): string[] {
    return this.lines(stream).filter((l) => re.test(l));
  }

  /** The lines of one stream, or of both. */
  lines(stream: Stream): string[] {
    return stream === "stdout" ? this.stdout : stream === "stderr" ? this.stderr : this.all;
  }

  /** Writes lines to its stdin (spawned with `stdin: "pipe"`). */
  send(...lines: string[]): void {
    const sink = this.stdinSink();
    sink.write(lines.map((l) => l + "\n").join(""));
    sink.flush();
  }

  /** Closes its stdin (EOF). */
  end(): void {
    this.stdinSink().end();
  }

  /** Sends `signal` and resolves with the exit code; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 3000): Promise<number> {
    if (this.running) this.proc.kill(signal);
    const timer = setTimeout(() => {
      if (this.running) this.proc.kill("SIGKILL");
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private stdinSink() {
    const sink = this.proc.stdin;
    if (!sink) throw new Error(`${this.label}: spawned without stdin: "pipe"`);
    return sink;
  }

  private failure(why: string): Error {
    const tail = this.output.slice(-15).join("\n  ");
    return new Error(`${this.label}: ${why}; last output:\n  ${tail}`);
  }

  private async pump(stream: ReadableStream<Uint8Array>, into: string[], name: "stdout" | "stderr"): Promise<void> {
    const dec = new TextDecoder();
    let rest = "";
    const push = (line: string) => {
      into.push(line);
      this.all.push(line);
      for (const w of [...this.waiters]) {
        if ((w.stream === "any" || w.stream === name) && w.re.test(line)) w.resolve(line);
      }
    };
    try {
      for await (const chunk of stream) {
        rest += dec.decode(chunk, { stream: true });
        let i: number;
        while ((i = rest.indexOf("\n")) >= 0) {
          push(rest.slice(0, i));
          rest = rest.slice(i + 1);
        }
        // Bound a line without a newline (a runaway process must not grow memory).
        if (rest.length > 1 << 20) {
          push(rest);
          rest = "";
        }
      }
    } catch {
      // stream closed under us
    }
    if (rest) push(rest);
  }
}

/** Spawns `bun <ROOT>/scripts/<role>.ts ...args`. */
export function spawnRole(role: string, args: string[] = [], opts: SpawnOptions = {}): RoleProcess {
  return new RoleProcess([join(ROOT, "scripts", `${role}.ts`), ...args], { label: role, ...opts });
}
