/**
 * The PUB→SUB exchange the interop suites (NULL and CURVE/PLAIN) share: the
 * publisher repeats a sync message until the subscriber sees it (libzmq's
 * slow-joiner rule), then sends topic `t` messages with `u` ones between
 * them; the subscriber must get exactly the `t` ones, in order.
 *
 * @module
 */
import type { Publisher, Subscriber, ZSocket } from "../../shared/zmq/index.ts";
import { ZmtpError } from "../../shared/zmq/index.ts";
import { frameBytes, PeerError, summary, type FrameSpec, type PeerSocket } from "./command-peer.ts";

const SYNC = "t!sync";

/** What a receiver shows for sent frames. */
export const expectedFrames = (frames: FrameSpec[]) => frames.map((f) => summary(frameBytes(f)));

/**
 * Runs the exchange with ours publishing (or subscribing) and the libzmq
 * peer on the other side; returns what the subscriber got and what it
 * should have got. `messages` each start with their topic frame.
 */
export async function exchangePubSub(
  oursPublishes: boolean,
  ours: ZSocket,
  theirs: PeerSocket,
  messages: FrameSpec[][],
  timeoutMs: number,
): Promise<{ got: string[][]; want: string[][] }> {
  const want = messages.filter((m) => m[0] === "t").map(expectedFrames);
  const sync = summary(Buffer.from(SYNC));
  const got: string[][] = [];
  if (oursPublishes) {
    const pub = ours as Publisher;
    await theirs.subscribe("t");
    for (;;) {
      await pub.send(SYNC);
      const r = await theirs.recv(100).catch((e) => (e instanceof PeerError && e.code === "EAGAIN" ? null : Promise.reject(e)));
      if (r) break;
    }
    for (const m of messages) await pub.send(m.map(frameBytes));
    while (got.length < want.length) {
      const r = await theirs.recv(timeoutMs);
      if (r[0] !== sync) got.push(r);
    }
  } else {
    const sub = ours as Subscriber;
    sub.subscribe("t");
    sub.receiveTimeout = 100;
    for (;;) {
      await theirs.send([SYNC]);
      const r = await sub.receive().catch((e) => (e instanceof ZmtpError && e.code === "EAGAIN" ? null : Promise.reject(e)));
      if (r) break;
    }
    sub.receiveTimeout = timeoutMs;
    for (const m of messages) await theirs.send(m);
    while (got.length < want.length) {
      const r = (await sub.receive()).map(summary);
      if (r[0] !== sync) got.push(r);
    }
  }
  return { got, want };
}
