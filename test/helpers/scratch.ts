/**
 * Test harness for unit tests on real storage: temp directories and stores
 * opened in them, all closed and removed after the file's tests.
 *
 * ```ts
 * const scratch = new Scratch("store-test-");   // at the top of a test file
 * const s = scratch.store("s1");
 * ```
 *
 * @module
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type StoreOptions } from "../../shared/store/sqlite.ts";
import type { Store } from "../../shared/store/store.ts";

export class Scratch {
  private readonly dirs: string[] = [];
  private readonly stores: Store[] = [];

  /** Registers the clean-up with the file's `afterAll`: create it at the top level of a test file. */
  constructor(private readonly prefix: string) {
    afterAll(() => this.cleanup());
  }

  /** A fresh empty directory. */
  dir(): string {
    const d = mkdtempSync(join(tmpdir(), this.prefix));
    this.dirs.push(d);
    return d;
  }

  /** A store for `serverName` in a fresh directory (or in `dir`). */
  store(serverName: string, opts: StoreOptions = {}, dir = this.dir()): Store {
    const s = openStore(dir, serverName, opts);
    this.stores.push(s);
    return s;
  }

  private cleanup(): void {
    for (const s of this.stores.splice(0)) {
      try {
        s.close();
      } catch {
        // closed by the test already
      }
    }
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
