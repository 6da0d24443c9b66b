/**
 * End to end with a foreign client: a Python script on Debian's libzmq
 * (python3-zmq) and msgpack logs in, creates a channel, publishes and
 * receives its own delivery through our broker, proxy and server.
 * python3-zmq and python3-msgpack are required (`.ci/run` installs them):
 * without them the run fails, it is never skipped.
 */
import { afterAll, beforeAll, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "./helpers/cluster.ts";
import { RoleProcess } from "./helpers/process.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "peers", "py_chat_client.py");
const pythonCheck = existsSync(PYTHON) ? Bun.spawnSync([PYTHON, "-c", "import zmq, msgpack"], { stderr: "pipe" }) : undefined;

let cluster: Cluster;
let py: RoleProcess | undefined;
beforeAll(async () => {
  cluster = await Cluster.start({ servers: ["server1"] });
});
afterAll(async () => {
  await py?.stop("SIGKILL");
  await cluster?.stop();
});

type Line = { event: string; service?: string; topic?: string; data?: Record<string, unknown>; text?: string };

it("the reference peer is installed: /usr/bin/python3 with python3-zmq and python3-msgpack", () => {
  const problem = !pythonCheck ? `${PYTHON} does not exist` : pythonCheck.exitCode !== 0 ? pythonCheck.stderr.toString().trim() : "";
  expect(problem).toBe("");
});

it("a libzmq client logs in, creates a channel, publishes and gets the delivery", async () => {
  py = new RoleProcess(
    [SCRIPT, cluster.endpoint("brokerFrontend"), cluster.endpoint("proxyXpub"), "pyuser", "pychan", "olá de python"],
    { label: "py_chat_client", executable: PYTHON },
  );
  await py.waitFor(/"event": "(done|error)"/, 20_000, "stdout");
  expect(await py.exited).toBe(0);
  expect(py.stderr).toEqual([]);
  const lines = py.stdout.filter(Boolean).map((l) => JSON.parse(l) as Line);
  expect(lines.filter((l) => l.event === "error")).toEqual([]);

  const reply = (service: string) => lines.find((l) => l.event === "reply" && l.service === service)!;
  expect(reply("login").data).toMatchObject({ status: "sucesso" });
  expect(reply("channel").data).toMatchObject({ status: "sucesso" });
  expect(reply("publish").data).toMatchObject({ status: "OK" });
  const delivery = lines.find((l) => l.event === "delivery" && l.service === "publish")!;
  expect(delivery.topic).toBe("pychan");
  expect(delivery.data).toMatchObject({ user: "pyuser", channel: "pychan", message: "olá de python", id: reply("publish").data!.id });
  const history = reply("history").data!.messages as { message: string }[];
  expect(history.map((m) => m.message)).toEqual(["olá de python"]);
  expect(lines.at(-1)!.event).toBe("done");
});
