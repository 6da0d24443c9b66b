/**
 * What the real proxy shows each subscriber: channels and `$presence` to
 * everyone, `servers`, `replication` and other `$` topics to cluster
 * members only, `$private/<user>` to nobody who has not authenticated as
 * that user, whatever they subscribe to (`""` included); the publisher side
 * takes members only. (Authenticated users are covered with a whole
 * cluster in the owned-names tests.)
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audienceOf } from "../shared/relay/proxy-gate.ts";
import { ClusterTrust } from "../shared/roles/cluster-trust.ts";
import { curveKeyPair, Publisher, Subscriber, type SocketOptions } from "../shared/zmq/index.ts";
import { eventually } from "./helpers/eventually.ts";
import { freePort, spawnRole, type RoleProcess } from "./helpers/process.ts";

describe("audienceOf", () => {
  it.each([
    ["geral", "everyone"],
    ["ana", "everyone"],
    ["$presence", "everyone"],
    ["servers", "members"],
    ["replication", "members"],
    ["$anything", "members"],
    ["$private/", "members"],
    ["serversx", "everyone"],
    ["$private/ana", "user:ana"],
  ])("%s → %s", (topic, want) => {
    const a = audienceOf(Buffer.from(topic));
    expect(a.kind === "user" ? `user:${a.user}` : a.kind).toBe(want);
  });
});

describe("the proxy role's gate", () => {
  const keys = mkdtempSync(join(tmpdir(), "bbs-gate-"));
  const trust = ClusterTrust.load(keys);
  let proxy: RoleProcess;
  let xsub = "";
  let xpub = "";
  const sockets: { close(): void }[] = [];
  const TOPICS = ["geral", "$presence", "servers", "replication", "$internal", "$private/ana", "ana"];

  beforeAll(async () => {
    const [a, b] = [await freePort(), await freePort()];
    [xsub, xpub] = [`tcp://127.0.0.1:${a}`, `tcp://127.0.0.1:${b}`];
    // No broker at this port: PLAIN subscribers cannot be checked, so they are refused.
    const nobody = await freePort();
    proxy = spawnRole("proxy", ["--proxy-xsub", String(a), "--proxy-xpub", String(b), "--broker-frontend", String(nobody), "--keys-dir", keys]);
    await proxy.waitFor(/publishers on .*subscribers on/, 15_000);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await proxy?.stop();
    rmSync(keys, { recursive: true, force: true });
  });

  /** A subscriber to everything, recording the topics it gets ("FORGED" for the intruder's). */
  function subscriber(opts: SocketOptions): string[] {
    const got: string[] = [];
    const s = new Subscriber(opts);
    sockets.push(s);
    s.subscribe("");
    s.connect(xpub);
    void (async () => {
      for await (const [t, p] of s) got.push(p?.toString() === "forged" ? "FORGED" : t!.toString());
    })().catch(() => {});
    return got;
  }

  it("shows each subscriber what its topic allows, and takes publishers that are members only", async () => {
    const stranger = curveKeyPair();
    const seen = {
      anonymous: subscriber({}),
      encrypted: subscriber({ curveServerKey: trust.publicKey, curveSecretKey: stranger.secretKey }),
      member: subscriber(trust.member()),
      plain: subscriber({ plainUsername: "ana", plainPassword: "a made-up token" }),
    };
    const pub = new Publisher(trust.member());
    const intruder = new Publisher({});
    sockets.push(pub, intruder);
    pub.connect(xsub);
    intruder.connect(xsub);
    // Publish until every subscriber that may see geral has (subscriptions take a moment to travel).
    await eventually(
      async () => {
        for (const t of TOPICS) await pub.send([t, "x"]);
        await intruder.send(["servers", "forged"]).catch(() => {});
        if (!(seen.anonymous.includes("geral") && seen.encrypted.includes("geral") && seen.member.includes("$private/ana") === false && seen.member.includes("servers"))) {
          throw new Error(JSON.stringify(seen));
        }
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "deliveries through the proxy" },
    );
    await Bun.sleep(200);
    const kinds = (got: string[]) => [...new Set(got)].sort();
    expect(kinds(seen.anonymous)).toEqual(["$presence", "ana", "geral"]);
    expect(kinds(seen.encrypted)).toEqual(["$presence", "ana", "geral"]);
    expect(kinds(seen.member)).toEqual(["$internal", "$presence", "ana", "geral", "replication", "servers"]);
    expect(seen.plain).toEqual([]);
    // The intruder's forged announcement never got in: members saw only the real publisher's "servers".
    await eventually(() => {
      if (proxy.grep(/refused a connection to the publisher side/).length === 0) throw new Error("no refusal logged");
      if (proxy.grep(/(refused|could not check) a subscriber as 'ana'/).length === 0) throw new Error("no PLAIN refusal logged");
    }, { timeoutMs: 10_000, what: "the proxy's refusal lines" });
  }, 30_000);
});
