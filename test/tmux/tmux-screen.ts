/**
 * A program in a real pseudo-terminal, driven through tmux: its own tmux
 * server (`-L <unique socket>`, no user config), one session of a fixed
 * size running the command, keys sent with `send-keys`, the screen read
 * with `capture-pane` (plain text, or with its SGR attributes), and every
 * byte the program wrote kept in a file (`pipe-pane`), for what leaves no
 * trace on the screen, such as the bell. `kill()` stops the tmux server.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "../helpers/eventually.ts";

const TMUX = "tmux";
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let sockets = 0;

export interface TmuxOptions {
  cols?: number;
  rows?: number;
  env?: Record<string, string>;
  cwd?: string;
}

export class TmuxScreen {
  private constructor(
    readonly socket: string,
    private readonly dir: string,
  ) {}

  /** Starts `argv` in a new detached session of `cols`×`rows` (default 120×30). */
  static start(argv: string[], opts: TmuxOptions = {}): TmuxScreen {
    const socket = `bbs-test-${process.pid}-${++sockets}-${Math.random().toString(36).slice(2, 8)}`;
    const dir = mkdtempSync(join(tmpdir(), "tmux-screen-"));
    const s = new TmuxScreen(socket, dir);
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`).join(" ");
    const cmd = `cd ${quote(opts.cwd ?? process.cwd())} && exec env ${env} ${argv.map(quote).join(" ")}`;
    s.tmux("-f", "/dev/null", "new-session", "-d", "-x", String(opts.cols ?? 120), "-y", String(opts.rows ?? 30), "-s", "t", cmd);
    s.tmux("set-option", "-t", "t", "remain-on-exit", "on");
    s.tmux("pipe-pane", "-t", "t", "-o", `cat >> ${quote(join(dir, "raw"))}`);
    return s;
  }

  /** Runs a tmux command on this screen's server; returns its stdout. */
  tmux(...args: string[]): string {
    const r = Bun.spawnSync([TMUX, "-L", this.socket, ...args], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString().trim()}`);
    return r.stdout.toString();
  }

  /** Sends keys by tmux name (`Enter`, `Tab`, `C-c`, `M-2`, `PageUp`). */
  keys(...names: string[]): void {
    this.tmux("send-keys", "-t", "t", ...names);
  }

  /** Types text literally. */
  type(text: string): void {
    this.tmux("send-keys", "-t", "t", "-l", text);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.keys("Enter");
  }

  /** The screen as plain text, one string per row. */
  capture(): string[] {
    return this.tmux("capture-pane", "-p", "-t", "t").replace(/\n$/, "").split("\n");
  }

  /** The screen with its colours and attributes as SGR sequences. */
  captureStyled(): string {
    return this.tmux("capture-pane", "-p", "-e", "-t", "t");
  }

  /** Everything the program has written so far. */
  raw(): string {
    try {
      return readFileSync(join(this.dir, "raw"), "utf8");
    } catch {
      return "";
    }
  }

  /** Whether the program has exited. */
  get exited(): boolean {
    return this.tmux("display-message", "-p", "-t", "t", "#{pane_dead}").trim() === "1";
  }

  /** Resizes the terminal. */
  resize(cols: number, rows: number): void {
    this.tmux("resize-window", "-t", "t", "-x", String(cols), "-y", String(rows));
  }

  /** Waits until `check(rows)` holds (returns without throwing); resolves with the screen then. */
  async until(check: (rows: string[]) => void, timeoutMs = 10_000, what = "the screen"): Promise<string[]> {
    let rows: string[] = [];
    try {
      await eventually(() => {
        rows = this.capture();
        check(rows);
      }, { timeoutMs, intervalMs: 100, what });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- screen ---\n${rows.join("\n")}\n---`);
    }
    return rows;
  }

  /** Waits for a row matching `re`; resolves with it. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const rows = await this.until((r) => {
      if (!r.some((l) => re.test(l))) throw new Error(`no row matches ${re}`);
    }, timeoutMs, `a row matching ${re}`);
    return rows.find((l) => re.test(l))!;
  }

  /** Stops the tmux server (and the program), and removes its socket and the raw output. */
  kill(): void {
    let socketPath = "";
    try {
      socketPath = this.tmux("display-message", "-p", "#{socket_path}").trim();
      this.tmux("kill-server");
    } catch {
      // gone already
    }
    // tmux leaves the socket file behind.
    if (socketPath.endsWith(this.socket)) rmSync(socketPath, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
