import { afterEach, describe, expect, it } from "bun:test";
import {
  encodeGreeting,
  FrameDecoder,
  parseCommand,
  Publisher,
  readyFrame,
  Reply,
  Request,
  type ZSocket,
} from "../shared/zmq/index.ts";

// Debian's python3 with python3-zmq (libzmq 4.3); the python3 first on PATH may lack it.
const PY = "/usr/bin/python3";
const PEER = `${import.meta.dir}/peers/py_peer.py`;
const hasPyzmq = Bun.spawnSync([PY, "-c", "import zmq"]).exitCode === 0;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});
function track<T extends ZSocket>(s: T): T {
  cleanup.push(() => s.close());
  return s;
}

function peer(...args: string[]) {
  const proc = Bun.spawn([PY, PEER, ...args], { stdout: "pipe", stderr: "pipe" });
  cleanup.push(() => proc.kill());
  const reader = proc.stdout.getReader();
  let buf = "";
  return {
    proc,
    async line(): Promise<any> {
      while (!buf.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`peer exited: ${await new Response(proc.stderr).text()}`);
        buf += new TextDecoder().decode(value);
      }
      const i = buf.indexOf("\n");
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      return JSON.parse(l);
    },
  };
}

describe.skipIf(!hasPyzmq)("interop with libzmq (pyzmq)", () => {
  it("our REQ -> libzmq REP", async () => {
    const p = peer("rep", "tcp://127.0.0.1:0");
    const { port } = await p.line();
    const req = track(new Request({ receiveTimeout: 5000 }));
    req.connect(`tcp://127.0.0.1:${port}`);
    for (const body of [["a"], ["multi", "", "part"]]) {
      await req.send(body);
      expect((await req.receive()).map(String)).toEqual(["py", ...body]);
    }
  });

  it("libzmq REQ (with heartbeats) -> our REP: PINGs answered, no disconnect", async () => {
    const rep = track(new Reply());
    await rep.bind("tcp://127.0.0.1:0");
    void (async () => {
      for await (const m of rep) await rep.send(["ours", ...m]);
    })();
    const p = peer("req", rep.lastEndpoint!);
    const r = await p.line();
    expect(r.reply).toEqual(["ours", "ping", ""]);
    expect(r.handshakes).toBe(1);
    expect(r.disconnects).toBe(0);
  });

  it("libzmq SUB <- our PUB, subscribing with the ZMTP 3.1 SUBSCRIBE command", async () => {
    const pub = track(new Publisher());
    await pub.bind("tcp://127.0.0.1:0");
    const p = peer("sub", pub.lastEndpoint!, "chat.");
    const got = p.line();
    let done = false;
    got.finally(() => (done = true));
    while (!done) {
      await pub.send(["other", "x"]);
      await pub.send(["chat.room", "hello"]);
      await Bun.sleep(10);
    }
    expect((await got).msg).toEqual(["chat.room", "hello"]);
  });

  it("libzmq SUB sends SUBSCRIBE as a command frame to a 3.1 peer", async () => {
    const commands: string[] = [];
    const listener = Bun.listen<any>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.write(Buffer.concat([encodeGreeting(), readyFrame({ "Socket-Type": "PUB" })]));
          let greeted = 0;
          const d = new FrameDecoder(1 << 16, {
            onMessage: () => commands.push("data"),
            onCommand: (b) => commands.push(parseCommand(b).name + ":" + b.subarray(10).toString()),
          });
          s.data = (chunk: Buffer) => {
            const skip = Math.min(64 - greeted, chunk.length);
            greeted += skip;
            if (chunk.length > skip) d.push(chunk.subarray(skip));
          };
        },
        data: (s, chunk) => (s.data as any)(chunk),
      },
    });
    cleanup.push(() => listener.stop(true));
    peer("sub", `tcp://127.0.0.1:${listener.port}`, "topic");
    while (!commands.some((c) => c.startsWith("SUBSCRIBE"))) await Bun.sleep(10);
    expect(commands[0]).toStartWith("READY");
    expect(commands).toContain("SUBSCRIBE:topic");
    expect(commands).not.toContain("data");
  });
});
