import { afterEach, describe, expect, it } from "bun:test";
import { decode, encode } from "../shared/wire/codec.ts";
import type { Delivery } from "../shared/client/delivery.ts";
import { ChatSession, ClientError } from "../shared/client/session.ts";
import { Publisher, Router } from "../shared/zmq/index.ts";
import { eventually } from "./helpers/eventually.ts";

type Req = { service: string; data: Record<string, unknown> };
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A stand-in broker on a real ROUTER socket: `answer` returns the reply data, or null to drop the request. */
async function fakeBroker(answer: (req: Req, n: number) => Record<string, unknown> | null) {
  const router = new Router({ linger: 0 });
  await router.bind("tcp://127.0.0.1:0");
  cleanup.push(() => router.close());
  const seen: Req[] = [];
  void (async () => {
    try {
      for await (const [id, empty, body] of router) {
        const req = decode(body!) as Req;
        seen.push(req);
        const data = answer(req, seen.filter((r) => r.service === req.service).length);
        if (data) await router.send([id!, empty!, encode({ service: req.service, data: { timestamp: Date.now(), clock: 100, ...data } })]);
      }
    } catch {
      // closed
    }
  })();
  return { endpoint: router.lastEndpoint!, seen };
}

describe("ChatSession", () => {
  it("retries a publish with the same id after a lost reply, and merges the reply's clock", async () => {
    const broker = await fakeBroker((req, n) => {
      if (req.service === "publish" && n === 1) return null; // the first reply is lost
      return { status: req.service === "publish" ? "OK" : "sucesso" };
    });
    const s = new ChatSession({ user: "ana", endpoints: { brokerFrontend: broker.endpoint, proxyXpub: "tcp://127.0.0.1:1" }, timeoutMs: 200, retries: 2 });
    cleanup.push(() => s.close());
    await s.request("login", { user: "ana" });
    const id = await s.publish("x", "hello");
    const pubs = broker.seen.filter((r) => r.service === "publish");
    expect(pubs).toHaveLength(2);
    expect(pubs[0]!.data.id).toBe(id);
    expect(pubs[1]!.data.id).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(pubs[1]!.data.clock as number).toBeGreaterThan(pubs[0]!.data.clock as number);
    expect(s.clock.value).toBeGreaterThanOrEqual(100);
  });

  it("gives up with a clear ClientError when nobody answers", async () => {
    const broker = await fakeBroker(() => null);
    const s = new ChatSession({ user: "ana", endpoints: { brokerFrontend: broker.endpoint, proxyXpub: "tcp://127.0.0.1:1" }, timeoutMs: 100, retries: 1 });
    cleanup.push(() => s.close());
    const e = await s.users().catch((x) => x);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).code).toBe("unreachable");
    expect((e as ClientError).message).toContain("after 2 attempts");
  });

  it("turns an error reply into a ClientError with the server's text", async () => {
    const broker = await fakeBroker((req) => (req.service === "message" ? { status: "erro", message: "user 'zé' does not exist" } : { status: "sucesso" }));
    const s = new ChatSession({ user: "ana", endpoints: { brokerFrontend: broker.endpoint, proxyXpub: "tcp://127.0.0.1:1" } });
    cleanup.push(() => s.close());
    const e = await s.message("zé", "oi").catch((x) => x);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).message).toBe("message: user 'zé' does not exist");
  });

  it("shows only exact topics, drops repeated ids, and merges delivery clocks", async () => {
    const broker = await fakeBroker(() => ({ status: "sucesso" }));
    const pub = new Publisher({ linger: 0 });
    await pub.bind("tcp://127.0.0.1:0");
    cleanup.push(() => pub.close());
    const got: Delivery[] = [];
    let wake = () => {};
    const s = new ChatSession({
      user: "ana",
      endpoints: { brokerFrontend: broker.endpoint, proxyXpub: pub.lastEndpoint! },
      onDelivery: (d) => {
        got.push(d);
        wake();
      },
    });
    cleanup.push(() => s.close());
    await s.login();
    await s.join("x");
    const send = (topic: string, service: string, data: Record<string, unknown>) =>
      pub.send([topic, encode({ service, data: { timestamp: Date.now(), clock: 1, ...data } })]);
    // Until the subscriptions have reached the publisher, probes are lost: repeat until one arrives.
    let i = 0;
    await eventually(
      async () => {
        if (got.some((d) => d.kind === "channel")) return;
        await send("x", "publish", { user: "bob", channel: "x", message: "probe", id: `probe-${i++}` });
        throw new Error(`${i} probes sent, none delivered`);
      },
      { intervalMs: 50 },
    );
    got.length = 0;
    await send("anabela", "message", { src: "bob", dst: "anabela", message: "not for ana" });
    await send("xy", "publish", { user: "bob", channel: "xy", message: "not in x" });
    await send("ana", "publish", { user: "bob", channel: "ana", message: "a post on a user topic" });
    await send("ana", "message", { src: "bob", dst: "ana", message: "for ana", clock: 500, id: "m1" });
    await send("ana", "message", { src: "bob", dst: "ana", message: "for ana", clock: 501, id: "m1" });
    await send("x", "publish", { user: "bob", channel: "x", message: "last" });
    while (!got.some((d) => d.text === "last")) await new Promise<void>((r) => (wake = r));
    expect(got.map((d) => d.text)).toEqual(["for ana", "last"]);
    expect(s.clock.value).toBeGreaterThanOrEqual(500);
  });
});
