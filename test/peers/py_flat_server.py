#!/usr/bin/python3
"""A foreign chat server on plain libzmq (python3-zmq) and msgpack, written
the loose way other teams' servers are (see dialects.md), to prove that our
client and bot read them.

One REP socket for client requests and one PUB socket for deliveries, both
bound on free ports of 127.0.0.1 (clients connect REQ and SUB to them
directly, no broker or proxy). It speaks the contract's services loosely:

- replies sometimes enveloped `{service, data}`, sometimes flat (fields at
  the top level beside `service`);
- `status` spelled "ok", "OK", "sucesso", "error", "ERROR", "erro"; the error
  text under `description`, `message`, `error`, or missing;
- timestamps as integer milliseconds, float seconds or ISO-8601 strings;
- no `history`: it answers that service with an error in its own words;
- channel posts published flat, `{user, message, timestamp, clock}`, on the
  channel's topic; private messages as a display line,
  `{message: "[pm] src: text", timestamp}`, on the destination's topic.

usage: py_flat_server.py [--time ISO] [--channels a,b] [--users a,b] [--refuse-every N]

Prints {"event": "ready", "requests": port, "deliveries": port}, then one
JSON line per request handled. Exits 0 on SIGTERM.
"""
import argparse
import datetime
import json
import signal
import sys
import time

import msgpack
import zmq

MAX_TEXT = 140


def out(event, **fields):
    print(json.dumps({"event": event, **fields}, ensure_ascii=False, default=repr), flush=True)


class Server:
    def __init__(self, args):
        self.fixed_ms = None
        if args.time:
            self.fixed_ms = int(datetime.datetime.fromisoformat(args.time.replace("Z", "+00:00")).timestamp() * 1000)
        self.channels = set(filter(None, args.channels.split(",")))
        self.users = set(filter(None, args.users.split(",")))
        self.refuse_every = args.refuse_every
        self.publishes = 0
        self.clock = 0

    # Timestamps in every form seen in the wild.
    def now_ms(self):
        return self.fixed_ms if self.fixed_ms is not None else int(time.time() * 1000)

    def ts_ms(self):
        return self.now_ms()

    def ts_seconds(self):
        return self.now_ms() / 1000.0

    def ts_iso(self):
        dt = datetime.datetime.fromtimestamp(self.now_ms() / 1000, tz=datetime.timezone.utc)
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def tick(self):
        self.clock += 1
        return self.clock

    def enveloped(self, service, **data):
        data.setdefault("timestamp", self.ts_ms())
        data["clock"] = self.tick()
        return {"service": service, "data": data}

    def flat(self, service, **fields):
        fields.setdefault("timestamp", self.ts_iso())
        fields["clock"] = self.tick()
        return {"service": service, **fields}

    def handle(self, req, publish):
        if not isinstance(req, dict):
            return self.enveloped("error", status="ERROR", description="expected a map")
        service = req.get("service")
        data = req.get("data") if isinstance(req.get("data"), dict) else {}
        clock = data.get("clock")
        if isinstance(clock, (int, float)) and clock >= 0:
            self.clock = max(self.clock, int(clock))

        if service == "login":
            user = data.get("user")
            if not isinstance(user, str) or not user.strip():
                return self.enveloped("login", status="ERROR", description="user name required")
            self.users.add(user)
            return self.enveloped("login", status="ok", timestamp=self.ts_seconds())
        if service == "users":
            return self.flat("users", users=sorted(self.users))
        if service == "channel":
            name = data.get("channel")
            if not isinstance(name, str) or not name.strip():
                return self.enveloped("channel", status="error", error="channel name required")
            if name in self.channels:
                return self.enveloped("channel", status="error", error=f"channel {name} already exists")
            self.channels.add(name)
            return self.flat("channel", status="ok", timestamp=self.ts_ms())
        if service == "channels":
            return self.flat("channels", status="OK", channels=sorted(self.channels))
        if service == "publish":
            user, channel, text = data.get("user"), data.get("channel"), data.get("message")
            if channel not in self.channels:
                return self.flat("publish", status="ERROR", message=f"no channel named {channel}")
            if not isinstance(text, str) or len(text) > MAX_TEXT:
                return self.flat("publish", status="ERROR", message=f"message longer than {MAX_TEXT} characters")
            self.publishes += 1
            if self.refuse_every and self.publishes % self.refuse_every == 0:
                return self.enveloped("publish", status="error")  # and no reason given
            # Delivered before the reply: a client may see its post before the ack.
            publish(channel, {"user": user, "message": text, "timestamp": self.ts_iso(), "clock": self.tick()})
            out("stored", kind="post", user=user, channel=channel, message=text)
            return self.enveloped("publish", status="ok", timestamp=self.ts_iso())
        if service == "message":
            src, dst, text = data.get("src"), data.get("dst"), data.get("message")
            if dst not in self.users:
                return self.enveloped("message", status="erro")  # and no reason given
            publish(dst, {"message": f"[pm] {src}: {text}", "timestamp": self.ts_ms()})
            out("stored", kind="pm", src=src, dst=dst, message=text)
            return self.enveloped("message", status="sucesso")
        if service == "history":
            return self.enveloped("history", status="error", message="unknown service history")
        return self.enveloped("error", status="ERROR", description=f"unknown command {service!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--time", help="report every timestamp as this ISO-8601 instant")
    ap.add_argument("--channels", default="", help="channels that exist from the start")
    ap.add_argument("--users", default="", help="users that exist from the start")
    ap.add_argument("--refuse-every", type=int, default=0, help="refuse every n-th publication, giving no reason")
    args = ap.parse_args()

    server = Server(args)
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    requests = rep.bind_to_random_port("tcp://127.0.0.1")
    deliveries = pub.bind_to_random_port("tcp://127.0.0.1")

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def publish(topic, payload):
        pub.send_multipart([topic.encode("utf-8"), msgpack.packb(payload, use_bin_type=True)])

    out("ready", requests=requests, deliveries=deliveries)
    poller = zmq.Poller()
    poller.register(rep, zmq.POLLIN)
    try:
        while not stopping:
            if not dict(poller.poll(100)).get(rep):
                continue
            frame = rep.recv()
            try:
                req = msgpack.unpackb(frame, raw=False)
            except Exception as e:  # any garbage still gets an answer
                req = None
                out("undecodable", error=str(e))
            reply = server.handle(req, publish)
            rep.send(msgpack.packb(reply, use_bin_type=True))
            service = req.get("service") if isinstance(req, dict) else None
            out("request", service=service, reply=reply)
    finally:
        rep.close()
        pub.close()
        ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
