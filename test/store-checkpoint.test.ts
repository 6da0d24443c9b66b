import { describe, expect, it } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DB_FILE } from "../shared/store/schema.ts";
import { openStore } from "../shared/store/sqlite.ts";
import { eventually } from "./helpers/eventually.ts";
import { Scratch } from "./helpers/scratch.ts";

const scratch = new Scratch("store-ckpt-test-");

function post(s: ReturnType<typeof openStore>, i: number): void {
  s.transaction(() => {
    s.appendLocal({ kind: "publish", user: "ana", channel: "geral", message: `m${i} ${"x".repeat(200)}`, timestamp: 1_700_000_000_000 + i, clock: i, id: `c${i}` });
  });
}

describe("background checkpoints", () => {
  it("copy committed pages into the database file without any commit doing it", async () => {
    const dir = scratch.dir();
    const s = openStore(dir, "s1", { backgroundCheckpoint: true });
    s.setFsync(false);
    const dbFile = join(dir, DB_FILE);
    // Far below the 1000 pages of an automatic checkpoint (off anyway). The
    // schema alone is about 40 KB; the records take the file past 60 KB
    // only once something copied them out of the log.
    for (let i = 1; i <= 100; i++) post(s, i);
    await eventually(() => expect(statSync(dbFile).size).toBeGreaterThanOrEqual(60_000), { intervalMs: 20 });
    expect(s.count()).toBe(100);
    expect(s.history({ channel: "geral" }, 1)[0]!.id).toBe("c100");
    s.close();
  }, 15_000);

  it("keeps every record across close and reopen, with the log folded in", async () => {
    const dir = scratch.dir();
    const s = openStore(dir, "s1", { backgroundCheckpoint: true });
    for (let i = 1; i <= 300; i++) {
      post(s, i);
      if (i % 50 === 0) await Bun.sleep(1); // let the worker run between commits
    }
    s.close();
    const wal = join(dir, `${DB_FILE}-wal`);
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const again = openStore(dir, "s1", { backgroundCheckpoint: true });
    expect(again.count()).toBe(300);
    expect(again.vector()).toEqual({ s1: 300 });
    expect(again.get("c150")?.message?.startsWith("m150 ")).toBe(true);
    again.close();
  });
});
