/**
 * The store's WAL checkpointer, run in a worker thread so that copying the
 * log into the database and the fsyncs that go with it never stall the
 * server's event loop. The main connection turns automatic checkpoints off
 * and starts this worker (see `store-sqlite.ts`).
 *
 * Protocol: the worker gets `{path, periodMs}` once, opens its own
 * connection and runs `PRAGMA wal_checkpoint(PASSIVE)` every `periodMs`: a
 * passive checkpoint takes no writer lock, so commits go on meanwhile. It
 * replies after each checkpoint that did work with `{log, checkpointed}`
 * (frames in the log, frames copied), so the writer can tell when the log
 * was not reset for a long time (every round raced a commit) and finish a
 * round itself; `{error}` if it cannot work, and it stops.
 *
 * @module
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

export interface CheckpointerStart {
  path: string;
  periodMs: number;
}

export type CheckpointerReport = { log: number; checkpointed: number } | { error: string };

self.onmessage = (e: MessageEvent<CheckpointerStart>) => {
  const { path, periodMs } = e.data;
  let db: Database;
  try {
    db = new Database(path, { readwrite: true, create: false });
    db.exec("PRAGMA busy_timeout = 0");
  } catch (err) {
    postMessage({ error: (err as Error).message } satisfies CheckpointerReport);
    return;
  }
  const q = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  setInterval(() => {
    try {
      const r = q.get() as { busy: number; log: number; checkpointed: number };
      if (r.checkpointed > 0) postMessage({ log: r.log, checkpointed: r.checkpointed } satisfies CheckpointerReport);
    } catch {
      // busy or a transient error: the next round tries again
    }
  }, periodMs);
};
