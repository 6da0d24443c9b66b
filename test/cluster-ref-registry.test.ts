import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RefRegistry, checkServerName } from "../shared/ref/registry.ts";
import { isClusterError, type ClusterErrorCode } from "../shared/cluster/errors.ts";

const dirs: string[] = [];
function tempDir() {
  const d = mkdtempSync(join(tmpdir(), "ref-registry-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fakeNow(start = 10_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function errorCode(fn: () => unknown): ClusterErrorCode | "none" | "other" {
  try {
    fn();
    return "none";
  } catch (e) {
    return isClusterError(e) ? e.code : "other";
  }
}

describe("RefRegistry", () => {
  test("ranks are 1, 2, 3 … and stable per name", () => {
    const reg = new RefRegistry({ heartbeatTimeoutMs: 3000 });
    expect(reg.rank("alpha")).toBe(1);
    expect(reg.rank("beta")).toBe(2);
    expect(reg.rank("alpha")).toBe(1);
    expect(reg.rank("gamma")).toBe(3);
    expect(reg.rank("beta")).toBe(2);
    reg.close();
  });

  test("list shows live servers by rank, without repeats, with addresses", () => {
    const t = fakeNow();
    const reg = new RefRegistry({ heartbeatTimeoutMs: 3000, now: t.now });
    reg.rank("c");
    reg.rank("a", "tcp://127.0.0.1:5561");
    reg.rank("b");
    reg.rank("a", "tcp://127.0.0.1:5562"); // re-registered with a new endpoint
    expect(reg.list()).toEqual([
      { name: "c", rank: 1 },
      { name: "a", rank: 2, address: "tcp://127.0.0.1:5562" },
      { name: "b", rank: 3 },
    ]);
    reg.close();
  });

  test("servers that miss heartbeats leave the list and come back with the same rank", () => {
    const t = fakeNow();
    const reg = new RefRegistry({ heartbeatTimeoutMs: 3000, now: t.now });
    reg.rank("a");
    reg.rank("b");
    for (let i = 0; i < 4; i++) {
      t.advance(1000);
      expect(reg.heartbeat("b")).toBe(true);
    }
    expect(reg.list().map((s) => s.name)).toEqual(["b"]);
    t.advance(3000);
    expect(reg.list()).toEqual([{ name: "b", rank: 2 }]); // exactly at the timeout: still in
    t.advance(1);
    expect(reg.list()).toEqual([]);
    expect(reg.heartbeat("a")).toBe(true);
    expect(reg.list()).toEqual([{ name: "a", rank: 1 }]);
    // list(now) with an explicit time
    expect(reg.list(t.now() + 3001)).toEqual([]);
    reg.close();
  });

  test("heartbeat from a name that never asked for a rank is refused", () => {
    const reg = new RefRegistry({ heartbeatTimeoutMs: 3000 });
    expect(reg.heartbeat("ghost")).toBe(false);
    expect(reg.list()).toEqual([]);
    expect(reg.rank("ghost")).toBe(1);
    reg.close();
  });

  test("ranks survive a restart of the reference server", () => {
    const path = join(tempDir(), "ref.sqlite");
    const t = fakeNow();
    const first = new RefRegistry({ path, heartbeatTimeoutMs: 3000, now: t.now });
    expect(first.rank("s1", "tcp://127.0.0.1:6001")).toBe(1);
    expect(first.rank("s2")).toBe(2);
    first.close();

    const second = new RefRegistry({ path, heartbeatTimeoutMs: 3000, now: t.now });
    expect(second.list()).toEqual([]); // nobody is known alive yet
    expect(second.heartbeat("s1")).toBe(true); // but s1 is known
    expect(second.rank("s2")).toBe(2);
    expect(second.rank("s3")).toBe(3);
    expect(second.list()).toEqual([
      { name: "s1", rank: 1, address: "tcp://127.0.0.1:6001" },
      { name: "s2", rank: 2 },
      { name: "s3", rank: 3 },
    ]);
    second.close();
  });

  test("a file that is not a registry gives a clear storage error", () => {
    const path = join(tempDir(), "junk.sqlite");
    writeFileSync(path, "this is not a database, just some text that is long enough".repeat(20));
    expect(errorCode(() => new RefRegistry({ path, heartbeatTimeoutMs: 1000 }))).toBe("storage");
  });

  test("bad names and addresses are refused and change nothing", () => {
    const reg = new RefRegistry({ heartbeatTimeoutMs: 3000 });
    for (const bad of ["", "servers", "replication", "$presence", "x".repeat(65), "a\nb", "tab\there", " padded", "padded ", "nul\0", 42, null]) {
      expect(errorCode(() => reg.rank(bad as string))).toBe("bad-name");
      expect(errorCode(() => reg.heartbeat(bad as string))).toBe("bad-name");
    }
    for (const bad of ["", "tcp://x y", "a".repeat(300), 7]) {
      expect(errorCode(() => reg.rank("ok", bad as string))).toBe("bad-address");
    }
    expect(reg.list()).toEqual([]);
    expect(reg.rank("ok")).toBe(1);
    expect(reg.rank("é".repeat(64))).toBe(2); // 64 characters, not bytes
    reg.close();
  });

  test("refuses new names beyond maxServers, keeps serving known ones", () => {
    const reg = new RefRegistry({ heartbeatTimeoutMs: 3000, maxServers: 2 });
    reg.rank("a");
    reg.rank("b");
    expect(errorCode(() => reg.rank("c"))).toBe("full");
    expect(reg.rank("a")).toBe(1);
    reg.close();
  });

  test("rejects a non-positive heartbeat timeout", () => {
    expect(errorCode(() => new RefRegistry({ heartbeatTimeoutMs: 0 }))).toBe("bad-input");
  });

  test("checkServerName returns valid names unchanged", () => {
    expect(checkServerName("server-1")).toBe("server-1");
  });
});
