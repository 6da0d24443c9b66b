/**
 * Memory bounded in bytes, and subscriptions bounded per connection:
 * - a subscriber that never reads 64 KiB messages: the publisher's queue
 *   for it stays under its byte high-water mark (plus one message and one
 *   write batch), with one `hwm:drop` event, and `hwm:recovered` with the
 *   count of missed messages once it reads again;
 * - the receive side: a PULL that does not read holds at most its byte
 *   mark (plus what one read brought), the PUSH waits, nothing is lost;
 * - the proxy role (scripts/proxy.ts, its defaults) with a never-reading
 *   subscriber and 384 MiB of 64 KiB messages: its peak RSS stays far
 *   below what it was offered, and it logs the drop;
 * - maxSubscriptions and maxTopicLength: excess subscriptions refused with
 *   one event per reason, not indexed, not forwarded upstream by XPUB;
 * - the new options are validated.
 * @module
 */
import { afterEach, describe, expect, it } from "bun:test";
import { Publisher, Pull, Push, Subscriber, XPublisher, ZmtpError, type ZSocket } from "../shared/zmq/index.ts";
import { freePort, spawnRole, type RoleProcess } from "./helpers/process.ts";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterTrust } from "../shared/roles/cluster-trust.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const open: ZSocket[] = [];
const procs: RoleProcess[] = [];
function track<T extends ZSocket>(s: T): T {
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  for (const p of procs.splice(0)) await p.stop("SIGKILL", 1000);
});
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(5);
}
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof ZmtpError ? e.code : String(e);
  }
  return "no error";
};

describe("byte high-water marks", () => {
  it("a subscriber that never reads 64 KiB messages costs the publisher at most its byte mark", async () => {
    const pub = track(new Publisher({ sendHighWaterMark: 100_000, sendHighWaterMarkBytes: 1 * MiB }));
    await pub.bind("tcp://127.0.0.1:0");
    const drops: { messages: number; bytes: number }[] = [];
    const recovered: number[] = [];
    pub.events.on("hwm:drop", (e) => drops.push({ messages: e.messages, bytes: e.bytes }));
    pub.events.on("hwm:recovered", (e) => recovered.push(e.dropped));
    const sub = track(new Subscriber({ receiveHighWaterMark: 1 }));
    sub.connect(pub.lastEndpoint!);
    sub.subscribe("t");
    await until(() => pub.topicCount === 1);
    const body = Buffer.alloc(64 * KiB, 7);
    let maxHeld = 0;
    const total = 2000; // 128 MiB offered
    for (let i = 0; i < total; i++) {
      await pub.send(["t", body]);
      maxHeld = Math.max(maxHeld, pub.queueSizes().send.maxPeerBytes);
      if (i % 16 === 15) await Bun.sleep(0);
    }
    // the mark, plus one message taken while below it, plus one write batch the kernel has not taken
    expect(maxHeld).toBeLessThanOrEqual(1 * MiB + 2 * (64 * KiB + 16) + 256 * KiB);
    expect(drops.length).toBe(1);
    expect(drops[0]!.bytes).toBeGreaterThanOrEqual(1 * MiB);
    let received = 0;
    sub.receiveTimeout = 300;
    try {
      for (;;) {
        await sub.receive();
        received++;
      }
    } catch {}
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(total);
    await until(() => recovered.length === 1);
    expect(recovered[0]!).toBe(total - received);
  });

  it("a PULL that does not read holds at most its byte mark; the PUSH waits and nothing is lost", async () => {
    const pull = track(new Pull({ receiveHighWaterMark: 100_000, receiveHighWaterMarkBytes: 1 * MiB }));
    await pull.bind("tcp://127.0.0.1:0");
    const push = track(new Push({ sendHighWaterMark: 100_000, sendHighWaterMarkBytes: 1 * MiB }));
    push.connect(pull.lastEndpoint!);
    const body = Buffer.alloc(64 * KiB, 1);
    const total = 300; // 19 MiB
    let sent = 0;
    const sending = (async () => {
      for (; sent < total; sent++) await push.send(body);
    })();
    await Bun.sleep(500);
    const held = pull.queueSizes().receive.bytes;
    expect(held).toBeGreaterThan(0);
    // the mark plus what the read in progress when it was reached still held
    expect(held).toBeLessThanOrEqual(4 * MiB);
    expect(sent).toBeLessThan(total);
    for (let i = 0; i < total; i++) expect((await pull.receive())[0]!.length).toBe(64 * KiB);
    await sending;
  });
});

function peakRssMb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

describe("the proxy role's bounds", () => {
  it("stays small with a subscriber that never reads 64 KiB messages, and says so", async () => {
    const [xsubPort, xpubPort] = [await freePort(), await freePort()];
    const keys = mkdtempSync(join(tmpdir(), "bbs-keys-"));
    const proxyRole = spawnRole("proxy", ["--proxy-xsub", String(xsubPort), "--proxy-xpub", String(xpubPort), "--keys-dir", keys]);
    procs.push(proxyRole);
    const reader = track(new Subscriber({ receiveHighWaterMark: 1_000_000 }));
    const stuck = track(new Subscriber({ receiveHighWaterMark: 1 }));
    for (const s of [reader, stuck]) {
      s.connect(`tcp://127.0.0.1:${xpubPort}`);
      s.subscribe("big");
    }
    let got = 0;
    void (async () => {
      for await (const m of reader) if (m[0]!.toString() === "big") got++;
    })();
    // The publisher side takes cluster members only.
    const pub = track(new Publisher({ sendHighWaterMark: 1_000_000, ...ClusterTrust.load(keys).member() }));
    pub.connect(`tcp://127.0.0.1:${xsubPort}`);
    while (got === 0) {
      await pub.send(["big", "probe"]);
      await Bun.sleep(50);
    }
    await Bun.sleep(500);
    const before = peakRssMb(proxyRole.pid);
    const body = Buffer.alloc(64 * KiB, 3);
    const total = 6000; // 384 MiB offered
    const start = got;
    for (let i = 0; i < total; i++) {
      await pub.send(["big", body]);
      // paced by the reader, so that its own queue (8 MiB at the proxy) never fills
      while (i - (got - start) > 32) await Bun.sleep(1);
    }
    await until(() => got - start === total);
    const peak = peakRssMb(proxyRole.pid);
    console.log(`proxy peak RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB after ${total} messages of 64 KiB with a subscriber that never reads`);
    // 100,000 messages per subscriber alone would have let it hold all 384 MiB
    expect(peak - before).toBeLessThan(150);
    expect(proxyRole.grep(/reads too slowly: dropping its messages/).length).toBe(1);
  }, 120_000);
});

describe("subscription bounds", () => {
  it("refuses subscriptions past maxSubscriptions and maxTopicLength, once per reason", async () => {
    const xpub = track(new XPublisher({ maxSubscriptions: 100, maxTopicLength: 16 }));
    await xpub.bind("tcp://127.0.0.1:0");
    const refused: { reason: string; limit: number; topicBytes: number }[] = [];
    xpub.events.on("subscription:refused", (e) => refused.push({ reason: e.reason, limit: e.limit, topicBytes: e.topicBytes }));
    const upstream: string[] = [];
    void (async () => {
      for await (const m of xpub) upstream.push(m[0]!.subarray(1).toString());
    })();
    const sub = track(new Subscriber());
    sub.connect(xpub.lastEndpoint!);
    sub.subscribe("x".repeat(17), "y".repeat(40));
    for (let i = 0; i < 150; i++) sub.subscribe(`t${i}.`);
    await until(() => refused.length === 2 && upstream.length === 100);
    expect(refused).toEqual([
      { reason: "topic-length", limit: 16, topicBytes: 17 },
      { reason: "count", limit: 100, topicBytes: 5 },
    ]);
    expect(xpub.topicCount).toBe(100);
    await Bun.sleep(50);
    expect(upstream.length).toBe(100);
    await xpub.send(["t99.", "kept"]);
    await xpub.send(["t100.", "refused"]);
    await xpub.send(["x".repeat(17), "too long"]);
    sub.receiveTimeout = 200;
    expect((await sub.receive()).map(String)).toEqual(["t99.", "kept"]);
    expect(await sub.receive().catch((e) => (e as ZmtpError).code)).toBe("EAGAIN");
    // room again after an unsubscribe: a new topic is taken
    sub.unsubscribe("t0.");
    sub.subscribe("t150.");
    await until(() => upstream.includes("t150."));
    expect(xpub.topicCount).toBe(100);
  });

  it("validates the new options", () => {
    expect(codeOf(() => new Publisher({ maxSubscriptions: 0 }))).toBe("EINVAL");
    expect(codeOf(() => new XPublisher({ maxTopicLength: 1.5 }))).toBe("EINVAL");
    expect(codeOf(() => new Push({ sendHighWaterMarkBytes: 0 }))).toBe("EINVAL");
    expect(codeOf(() => new Pull({ receiveHighWaterMarkBytes: -1 }))).toBe("EINVAL");
    expect(codeOf(() => new Publisher({ sendHighWaterMarkBytes: 1 }))).toBe("no error");
  });
});
