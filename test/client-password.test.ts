/**
 * The real terminal client (`scripts/client.ts` in a tmux pane) with a
 * registered name: told the name needs its password, it asks for it on the
 * input line without showing it, refuses a wrong one and asks again, then
 * logs in and posts with the session's token; and a config file's password
 * logs the nick in without asking (a config others can read is warned
 * about). Nothing on the screen, in the raw
 * output or in the input history file shows the password.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../shared/client/config.ts";
import { Cluster } from "./helpers/cluster.ts";
import type { TestClient } from "./helpers/chat-client.ts";
import type { TmuxScreen } from "./tmux/tmux-screen.ts";
import { TerminalClients } from "./tmux/terminal-clients.ts";

const PASSWORD = "tr0ub4dor-and-3";

let cluster: Cluster;
let bob: TestClient;
const clients = new TerminalClients(() => cluster);
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"], brokerArgs: ["--quiet"], proxyArgs: ["--quiet"] });
  bob = cluster.client();
  expect((await bob.request("login", { user: "ana", password: PASSWORD })).data.status).toBe("sucesso");
  expect((await bob.request("channel", { channel: "geral" })).data.status).toBe("sucesso");
}, 30_000);

afterEach(() => clients.killAll());

afterAll(async () => {
  await cluster?.stop();
  clients.removeHomes();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The client in tmux as `user`, in a home of its own with `config` as its config file. */
function client(user: string | null, config?: Record<string, unknown>): { s: TmuxScreen; dir: string } {
  const dir = clients.home(config);
  return { s: clients.start(user, { dir }), dir };
}

describe("a registered name in the terminal client", () => {
  it("asks for the password, hidden, again after a wrong one, then logs in and posts", async () => {
    const { s, dir } = client("ana");
    await s.waitFor(/login refused: (login: )?name 'ana' is registered: log in with its password/, 15_000);
    await s.waitFor(/password for ana:\s*$/);
    s.type("wrong-one");
    await s.waitFor(/password for ana: \*{9}\s*$/);
    s.keys("Enter");
    await s.waitFor(/login refused: (login: )?wrong password for 'ana'/, 15_000);
    s.line(PASSWORD);
    await s.waitFor(/logged in as ana/, 15_000);
    s.line("/join geral");
    s.line("owner speaking");
    await s.waitFor(/<ana> owner speaking/, 15_000);
    const history = await bob.request("history", { channel: "geral" });
    expect((history.data.messages as { user: string; message: string }[]).map((m) => `${m.user}: ${m.message}`)).toContain("ana: owner speaking");
    expect(s.raw()).not.toContain(PASSWORD);
    expect(s.raw()).not.toContain("wrong-one");
    const kept = join(dir, "state", "bbs-chat", "history");
    if (existsSync(kept)) expect(readFileSync(kept, "utf8")).not.toContain(PASSWORD);
  }, 40_000);

  it("logs the config's nick in with the config's password, asking nothing", async () => {
    const { s } = client(null, { nick: "ana", password: PASSWORD });
    await s.waitFor(/logged in as ana/, 15_000);
    expect(s.capture().join("\n")).not.toContain("password for");
    expect(s.raw()).not.toContain(PASSWORD);
  }, 30_000);
});

describe("the config file's password", () => {
  it("is read as a non-empty string, with a warning when others can read the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "client-config-"));
    dirs.push(dir);
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify({ nick: "ana", password: PASSWORD }), { mode: 0o600 });
    expect(loadConfig(path)).toEqual({ config: expect.objectContaining({ nick: "ana", password: PASSWORD }), warnings: [] });
    writeFileSync(path, JSON.stringify({ nick: "ana", password: PASSWORD }), { mode: 0o644 });
    Bun.spawnSync(["chmod", "644", path]);
    expect(loadConfig(path).warnings).toEqual([`${path} holds a password and others can read it: chmod 600 ${path}`]);
    writeFileSync(path, JSON.stringify({ password: "" }));
    const bad = loadConfig(path);
    expect(bad.config.password).toBeUndefined();
    expect(bad.warnings[0]).toContain('"password" must be a non-empty string');
  });
});
