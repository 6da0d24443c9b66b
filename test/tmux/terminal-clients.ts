/**
 * The real terminal client (`scripts/client.ts`) in tmux panes against a
 * test cluster, each with a home of its own (config and state
 * directories, optionally a config file, written 0600 as a config holding
 * a password should be). `killAll()` after each test, `removeHomes()` at
 * the end.
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cluster } from "../helpers/cluster.ts";
import { ROOT } from "../helpers/process.ts";
import { TmuxScreen } from "./tmux-screen.ts";

export interface ClientLaunch {
  /** The home to run in (default a new one). */
  dir?: string;
  args?: string[];
  cols?: number;
  rows?: number;
  /** Endpoint flags instead of the cluster's. */
  endpoints?: string[];
}

export class TerminalClients {
  private readonly screens: TmuxScreen[] = [];
  private readonly dirs: string[] = [];

  constructor(private readonly cluster: () => Cluster) {}

  /** A new home, with `config` as its client config file if given. */
  home(config?: Record<string, unknown>): string {
    const d = mkdtempSync(join(tmpdir(), "client-home-"));
    this.dirs.push(d);
    if (config) {
      mkdirSync(join(d, "config", "bbs-chat"), { recursive: true });
      writeFileSync(join(d, "config", "bbs-chat", "config.json"), JSON.stringify(config), { mode: 0o600 });
    }
    return d;
  }

  /** The client in tmux, as `user` (null: none given), in `o.dir` or a new home. */
  start(user: string | null, o: ClientLaunch = {}): TmuxScreen {
    const dir = o.dir ?? this.home();
    const argv = [process.execPath, "scripts/client.ts", ...(o.endpoints ?? this.cluster().endpointArgs()), ...(user ? ["--user", user] : []), ...(o.args ?? [])];
    const s = TmuxScreen.start(argv, {
      cols: o.cols,
      rows: o.rows,
      cwd: ROOT,
      env: { HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_STATE_HOME: join(dir, "state"), NO_COLOR: "", TERM: "screen" },
    });
    this.screens.push(s);
    return s;
  }

  killAll(): void {
    for (const s of this.screens.splice(0)) s.kill();
  }

  removeHomes(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
