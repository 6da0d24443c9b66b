/**
 * Drives a long-lived libzmq peer process (pyzmq or zeromq.js) over JSON
 * lines, so one process per peer kind serves a whole interop suite.
 *
 * Protocol: every command is one JSON line `{id, op, ...}` on the peer's
 * stdin; the peer answers with one line `{id, ok: true, ...}` or
 * `{id, ok: false, error}` (error "EAGAIN" on a receive timeout).
 * Commands may overlap (a pending `recv` does not block other commands).
 *
 * | op        | fields                        | answer      |
 * |-----------|-------------------------------|-------------|
 * | socket    | name, type ("REQ"…), opts?    |             |
 * | bind      | name, endpoint                | endpoint    |
 * | connect   | name, endpoint                |             |
 * | subscribe | name, topic                   |             |
 * | send      | name, frames: FrameSpec[]     | (once sent) |
 * | recv      | name, timeout (ms)            | frames      |
 * | echo      | name, tag? (send back every   |             |
 * |           | message, tag appended if set) |             |
 * | close     | name                          |             |
 * | events    | name (monitor events and ZAP  | events      |
 * |           | requests since last asked)    |             |
 * | zap       | policy (see ZapPolicy)        |             |
 * | exit      |                               |             |
 *
 * Socket opts, besides routingId / maxMessageSize / reconnectInterval:
 * heartbeatInterval / heartbeatTimeout (ms, libzmq PING/PONG), the
 * security options in zeromq.js names (curveServer, curveSecretKey,
 * curvePublicKey, curveServerKey as Z85; plainServer, plainUsername,
 * plainPassword, zapDomain) and `monitor: true` to collect libzmq's
 * handshake events, reported as {event: "handshake" | "auth-failed"
 * (with status) | "protocol-error" | "handshake-failed" | "disconnect"}.
 * `zap` starts the process's ZAP handler (RFC 27, inproc://zeromq.zap.01)
 * or replaces its policy; each request it answers is reported by the next
 * `events` as {event: "zap", mechanism, user, allowed, domain}.
 *
 * A FrameSpec is a UTF-8 string or `{gen: length, seed}` (byte i is
 * `(i*31 + seed) & 255`), so large frames never cross the pipe. Received
 * frames come back as summaries: `hex:<bytes>` up to 64 bytes, else
 * `sha:<length>:<first 16 hex of sha256>`.
 * @module
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { createHash } from "node:crypto";
import type { Subprocess } from "bun";

export type PeerKind = "pyzmq" | "zeromq.js";
/** What a peer's ZAP handler allows: CURVE keys (all when absent), PLAIN user → password; the user id it answers. */
export interface ZapPolicy {
  allowKeys?: string[];
  users?: Record<string, string>;
  userId?: string;
}
/** A libzmq monitor event or ZAP request, as a peer reports it. */
export interface PeerEvent {
  event: "handshake" | "auth-failed" | "protocol-error" | "handshake-failed" | "disconnect" | "zap";
  status?: number;
  mechanism?: string;
  user?: string;
  allowed?: boolean;
}
export type FrameSpec = string | { gen: number; seed?: number };

const PY = "/usr/bin/python3";
const DIR = import.meta.dir;

/** True when the peer kind can run on this machine. */
export function peerAvailable(kind: PeerKind): boolean {
  const r =
    kind === "pyzmq"
      ? Bun.spawnSync([PY, "-c", "import zmq"])
      : Bun.spawnSync(["node", "-e", "require('zeromq')"], { cwd: `${DIR}/../..` });
  return r.exitCode === 0;
}

/** Build the bytes a FrameSpec describes. */
export function frameBytes(f: FrameSpec): Buffer {
  if (typeof f === "string") return Buffer.from(f);
  const block = Buffer.allocUnsafe(256);
  const seed = f.seed ?? 0;
  for (let i = 0; i < 256; i++) block[i] = (i * 31 + seed) & 255;
  const out = Buffer.allocUnsafe(f.gen);
  for (let off = 0; off < f.gen; off += 256) block.copy(out, off, 0, Math.min(256, f.gen - off));
  return out;
}

/** Decode a short summary back to text ("hex:6869" -> "hi"). */
export function text(s: string): string {
  if (!s.startsWith("hex:")) throw new Error(`not a short frame: ${s}`);
  return Buffer.from(s.slice(4), "hex").toString();
}

/** The summary a peer reports for a received frame. */
export function summary(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length <= 64) return "hex:" + buf.toString("hex");
  return `sha:${buf.length}:${createHash("sha256").update(buf).digest("hex").slice(0, 16)}`;
}

export class PeerError extends Error {
  constructor(
    readonly code: string,
    op: string,
    kind: PeerKind,
  ) {
    super(`${kind} peer: ${op} failed: ${code}`);
  }
}

/** One peer process and its command channel. */
export class CommandPeer {
  private readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; op: string }>();
  private stderr = "";
  private nextName = 1;
  private dead: Error | null = null;

  constructor(readonly kind: PeerKind) {
    const cmd = kind === "pyzmq" ? [PY, `${DIR}/py_peer.py`, "serve"] : ["node", `${DIR}/node_serve.cjs`];
    const proc = Bun.spawn(cmd, { cwd: `${DIR}/../..`, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.proc = proc;
    void this.readLines();
    void (async () => {
      for await (const c of proc.stderr) this.stderr += new TextDecoder().decode(c);
    })();
  }

  private async readLines(): Promise<void> {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of this.proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const r = JSON.parse(line);
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r);
        else p.reject(new PeerError(r.error, p.op, this.kind));
      }
    }
    const err = new Error(`${this.kind} peer exited: ${this.stderr.slice(-2000)}`);
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Send one command; resolves with the peer's answer. */
  call(op: string, fields: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, op });
      this.proc.stdin.write(JSON.stringify({ id, op, ...fields }) + "\n");
      this.proc.stdin.flush();
    });
  }

  /** Create a socket in the peer; returns a handle for it. */
  async socket(type: string, opts: Record<string, unknown> = {}): Promise<PeerSocket> {
    const name = `s${this.nextName++}`;
    await this.call("socket", { name, type, opts });
    return new PeerSocket(this, name);
  }

  /** Start the process's ZAP handler, or change its policy. */
  async zap(policy: ZapPolicy): Promise<void> {
    await this.call("zap", { policy });
  }

  /** Kill the process (a crash, as far as its peers can tell). */
  kill(): void {
    this.proc.kill("SIGKILL");
  }

  get exited(): Promise<number> {
    return this.proc.exited;
  }
}

/** A socket living in a peer process. */
export class PeerSocket {
  constructor(
    readonly peer: CommandPeer,
    readonly name: string,
  ) {}
  async bind(endpoint = "tcp://127.0.0.1:0"): Promise<string> {
    return (await this.peer.call("bind", { name: this.name, endpoint })).endpoint;
  }
  connect(endpoint: string): Promise<void> {
    return this.peer.call("connect", { name: this.name, endpoint });
  }
  subscribe(topic: string): Promise<void> {
    return this.peer.call("subscribe", { name: this.name, topic });
  }
  send(frames: FrameSpec[]): Promise<void> {
    return this.peer.call("send", { name: this.name, frames });
  }
  /** Receive one message as frame summaries; rejects PeerError("EAGAIN") on timeout. */
  async recv(timeout = 5000): Promise<string[]> {
    return (await this.peer.call("recv", { name: this.name, timeout })).frames;
  }
  /** Send back every message received (with `tag` appended as a last frame if given). */
  echo(tag?: string): Promise<void> {
    return this.peer.call("echo", { name: this.name, ...(tag === undefined ? {} : { tag }) });
  }
  close(): Promise<void> {
    return this.peer.call("close", { name: this.name });
  }
  /** Monitor events (and ZAP requests) since the last call. */
  async events(): Promise<PeerEvent[]> {
    return (await this.peer.call("events", { name: this.name })).events;
  }
  /** Poll events until one matches (all collected so far are returned); rejects after `timeout` ms. */
  async waitEvent(match: (e: PeerEvent) => boolean, timeout = 10_000): Promise<PeerEvent[]> {
    const seen: PeerEvent[] = [];
    const end = Date.now() + timeout;
    for (;;) {
      seen.push(...(await this.events()));
      if (seen.some(match)) return seen;
      if (Date.now() > end) throw new Error(`${this.peer.kind} ${this.name}: no matching event in ${JSON.stringify(seen)}`);
      await Bun.sleep(50);
    }
  }
}

/** The libzmq reference peers every interop suite runs against. */
export const PEER_KINDS: PeerKind[] = ["pyzmq", "zeromq.js"];

/**
 * One long-lived peer process per kind for the enclosing test file, killed
 * after it, plus a cleanup list run after each test (last added, first run).
 */
export function usePeers(): { peers: Map<PeerKind, CommandPeer>; cleanup: (() => unknown)[] } {
  const peers = new Map<PeerKind, CommandPeer>();
  const cleanup: (() => unknown)[] = [];
  beforeAll(() => {
    for (const k of PEER_KINDS) peers.set(k, new CommandPeer(k));
  });
  afterAll(() => {
    for (const p of peers.values()) p.kill();
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  return { peers, cleanup };
}
