/**
 * A process of idle subscribers for the scale part of the cluster
 * benchmark: `count` SUB sockets on the proxy's XPUB, each subscribed to a
 * topic of its own that nobody publishes on (name-like, 4 to 12 bytes, as
 * a chat client's user topic). Prints `ready <count>` once every socket
 * has a connection; runs until killed.
 *
 * Usage: bun bench/cluster/idle-subscribers.ts <xpub endpoint> <count> <tag>
 * @module
 */
import { Subscriber } from "../../shared/zmq/index.ts";

const [endpoint, countText, tag] = process.argv.slice(2);
const count = Number(countText);
if (!endpoint || !Number.isSafeInteger(count) || count <= 0 || !tag) {
  console.error("usage: idle-subscribers.ts <xpub endpoint> <count> <tag>");
  process.exit(2);
}
const socks: Subscriber[] = [];
for (let i = 0; i < count; i++) {
  const s = new Subscriber({ linger: 0 });
  s.connect(endpoint);
  // lengths 4..12: the index probes one key per distinct length
  s.subscribe(`${tag}${i.toString(36)}`.padEnd(4 + (i % 9), "_"));
  socks.push(s);
  if (i % 250 === 249) await Bun.sleep(5); // do not flood the listener's backlog
}
while (socks.some((s) => s.connectedPeers().length === 0)) await Bun.sleep(50);
console.log(`ready ${count}`);
const stop = () => {
  for (const s of socks) s.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => {}, 60_000);
